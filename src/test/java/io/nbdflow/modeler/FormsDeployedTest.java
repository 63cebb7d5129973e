package io.nbdflow.modeler;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.SpringQemuTest;
import org.camunda.bpm.engine.RepositoryService;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.persistence.entity.CamundaFormDefinitionEntity;
import org.camunda.bpm.engine.repository.ProcessDefinition;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole application deploys the forms with the process: the engine API serves the start
 * form as a Camunda Form, and both forms are form definitions of the process's deployment.
 */
class FormsDeployedTest extends SpringQemuTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void startFormIsTheDeployedCamundaForm() throws Exception {
        ResponseEntity<String> ref = api().getForEntity(
                engineRest() + "/process-definition/key/" + Bpmn.PROCESS_KEY + "/startForm", String.class);
        assertThat(ref.getStatusCode()).as(ref.getBody()).isEqualTo(HttpStatus.OK);
        JsonNode camundaFormRef = json.readTree(ref.getBody()).path("camundaFormRef");
        assertThat(camundaFormRef.path("key").asText()).as(ref.getBody()).isEqualTo("startMigration");
        assertThat(camundaFormRef.path("binding").asText()).isEqualTo("latest");

        // what Tasklist renders: the form document itself
        ResponseEntity<String> form = api().getForEntity(
                engineRest() + "/process-definition/key/storageMigration/deployed-start-form", String.class);
        assertThat(form.getStatusCode()).as(form.getBody()).isEqualTo(HttpStatus.OK);
        JsonNode document = json.readTree(form.getBody());
        assertThat(document.path("id").asText()).isEqualTo("startMigration");
        assertThat(document.path("components").findValuesAsText("key")).contains(Vars.DOMAIN, Vars.DESTINATION_HOST);
    }

    @Test
    void startFormNeedsALogin() {
        ResponseEntity<String> r = anonymous().getForEntity(
                engineRest() + "/process-definition/key/" + Bpmn.PROCESS_KEY + "/startForm", String.class);
        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
    }

    @Test
    void bothFormsAreDeployedAlongsideTheProcess() {
        RepositoryService repository = processEngine.getRepositoryService();
        ProcessDefinition definition = repository.createProcessDefinitionQuery()
                .processDefinitionKey(Bpmn.PROCESS_KEY).latestVersion().singleResult();
        assertThat(definition).isNotNull();
        List<String> resources = repository.getDeploymentResourceNames(definition.getDeploymentId());
        assertThat(resources).anyMatch(r -> r.endsWith("storage-migration.bpmn"))
                .anyMatch(r -> r.endsWith("start-migration.form"))
                .anyMatch(r -> r.endsWith("approve-switchover.form"));

        // the engine resolves camunda:formRef by form id; ask it as it would for the user task
        ProcessEngineConfigurationImpl config = (ProcessEngineConfigurationImpl) processEngine.getProcessEngineConfiguration();
        for (String key : List.of("startMigration", "approveSwitchover")) {
            CamundaFormDefinitionEntity form = config.getCommandExecutorTxRequired().execute(context ->
                    context.getCamundaFormDefinitionManager().findDefinitionByDeploymentAndKey(
                            definition.getDeploymentId(), key));
            assertThat(form).as("form definition %s in the process's deployment", key).isNotNull();
        }
    }
}
