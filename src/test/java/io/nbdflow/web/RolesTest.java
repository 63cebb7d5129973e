package io.nbdflow.web;

import io.nbdflow.process.Bpmn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestUsers;
import io.nbdflow.testsupport.Wait;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.authorization.Groups;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

/**
 * Each role against each surface: /api, the engine REST API and the web apps. camunda-admin may
 * do everything, nbdflow-operators run domains and migrations, nbdflow-viewers only read, and a
 * user in none of these groups is refused everywhere.
 */
class RolesTest extends SpringQemuTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The context's configured admin user, a member of camunda-admin. */
    private static final String ADMIN = NbdflowTestContext.USER;
    private static final String ADMIN_PASSWORD = NbdflowTestContext.PASSWORD;

    @Autowired
    IdentityService identityService;

    String operator;
    String viewer;
    String nobody;

    @BeforeEach
    void users() {
        operator = TestUsers.create(identityService, "nbdflow-operators");
        viewer = TestUsers.create(identityService, "nbdflow-viewers");
        nobody = TestUsers.create(identityService);
    }

    private TestRestTemplate as(String user) {
        return restTemplate.withBasicAuth(user, user.equals(ADMIN) ? ADMIN_PASSWORD : TestUsers.PASSWORD);
    }

    private static int status(ResponseEntity<?> r) {
        return r.getStatusCode().value();
    }

    private static HttpEntity<String> json(String body) {
        HttpHeaders h = new HttpHeaders();
        h.setContentType(MediaType.APPLICATION_JSON);
        return new HttpEntity<>(body, h);
    }

    private int put(String user, String path, Object body) {
        return status(as(user).exchange(path, HttpMethod.PUT, new HttpEntity<>(body), String.class));
    }

    private ResponseEntity<String> post(String user, String path, String body) {
        return as(user).postForEntity(path, json(body), String.class);
    }

    private Map<String, Object> domain(String file) {
        return Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1,
                "disks", List.of(Map.of("target", "vda", "file", file, "format", "qcow2")));
    }

    @Test
    void theGroupsExistWithTheirHyphenatedIds() {
        assertThat(identityService.createGroupQuery().groupIdIn("nbdflow-operators", "nbdflow-viewers",
                Groups.CAMUNDA_ADMIN).count()).isEqualTo(3);
        assertThat(identityService.createGroupQuery().groupMember(ADMIN).list())
                .extracting(g -> g.getId()).contains(Groups.CAMUNDA_ADMIN);
    }

    @Test
    void apiRoutes() throws Exception {
        String name = "roles" + System.nanoTime() % 100000;
        Path disk = TestImages.create(hostA().storageDir(), name + ".qcow2", "qcow2", 16 * TestImages.MiB);
        Map<String, Object> definition = domain(disk.toString());

        // define: operators and admins; viewers and users without a role not
        assertThat(put(viewer, "/api/domains/" + name, definition)).isEqualTo(403);
        assertThat(put(nobody, "/api/domains/" + name, definition)).isEqualTo(403);
        assertThat(as(viewer).getForEntity("/api/domains/" + name, String.class).getStatusCode().value()).isEqualTo(404);
        assertThat(put(operator, "/api/domains/" + name, definition)).isEqualTo(200);
        assertThat(put(ADMIN, "/api/domains/" + name, definition)).isEqualTo(200);

        // read: everyone with a role
        for (String user : List.of(viewer, operator, ADMIN)) {
            assertThat(status(as(user).getForEntity("/api/domains/" + name, String.class))).as(user).isEqualTo(200);
            assertThat(status(as(user).getForEntity("/api/domains", String.class))).as(user).isEqualTo(200);
        }
        assertThat(status(as(nobody).getForEntity("/api/domains/" + name, String.class))).isEqualTo(403);
        assertThat(status(as(nobody).getForEntity("/api/domains", String.class))).isEqualTo(403);
        assertThat(status(as(nobody).getForEntity("/actuator/metrics", String.class))).isEqualTo(403);

        // start / stop: operators (stopping a domain that is not running changes nothing: 200)
        assertThat(status(post(viewer, "/api/domains/" + name + "/start", ""))).isEqualTo(403);
        assertThat(status(post(viewer, "/api/domains/" + name + "/stop", ""))).isEqualTo(403);
        assertThat(status(post(nobody, "/api/domains/" + name + "/stop", ""))).isEqualTo(403);
        assertThat(status(post(operator, "/api/domains/" + name + "/stop", ""))).isEqualTo(200);

        // migrate: operators start it (it ends refused: the domain is not running), viewers read it
        String migrate = "{\"destinationHost\": \"host-b\"}";
        assertThat(status(post(viewer, "/api/domains/" + name + "/migrate", migrate))).isEqualTo(403);
        assertThat(status(post(nobody, "/api/domains/" + name + "/migrate", migrate))).isEqualTo(403);
        ResponseEntity<String> started = post(operator, "/api/domains/" + name + "/migrate", migrate);
        assertThat(status(started)).as(started.getBody()).isEqualTo(201);
        String id = JSON.readTree(started.getBody()).get("processInstanceId").asText();
        awaitEnd(id, Duration.ofSeconds(30));
        ResponseEntity<String> seen = as(viewer).getForEntity("/api/migrations/" + id, String.class);
        assertThat(status(seen)).as(seen.getBody()).isEqualTo(200);
        assertThat(JSON.readTree(seen.getBody()).get("outcome").asText()).isEqualTo("refused");
        assertThat(status(as(nobody).getForEntity("/api/migrations/" + id, String.class))).isEqualTo(403);

        // abort: operators (an ended migration: 409, an unknown one: 404); viewers never
        assertThat(status(post(viewer, "/api/migrations/" + id + "/abort", ""))).isEqualTo(403);
        assertThat(status(post(nobody, "/api/migrations/" + id + "/abort", ""))).isEqualTo(403);
        assertThat(status(post(operator, "/api/migrations/" + id + "/abort", ""))).isEqualTo(409);
        assertThat(status(post(operator, "/api/migrations/no-such-id/abort", ""))).isEqualTo(404);
    }

    @Test
    void engineRestStartAndHistory() throws Exception {
        String start = engineRest() + "/process-definition/key/storageMigration/start";
        String body = "{\"variables\": {\"domain\": {\"value\": \"no-such-domain\", \"type\": \"String\"},"
                + " \"destinationHost\": {\"value\": \"host-b\", \"type\": \"String\"}}}";
        assertThat(status(post(viewer, start, body))).isEqualTo(403);
        assertThat(status(post(nobody, start, body))).isEqualTo(403);
        ResponseEntity<String> started = post(operator, start, body);
        assertThat(status(started)).as(started.getBody()).isEqualTo(200);
        String id = JSON.readTree(started.getBody()).get("id").asText();
        awaitEnd(id, Duration.ofSeconds(30));

        // the engine would answer a user without a role 200 with empty lists: refused instead
        for (String path : List.of("/process-definition", "/history/process-instance", "/task", "/user",
                "/deployment")) {
            ResponseEntity<String> r = as(nobody).getForEntity(engineRest() + path, String.class);
            assertThat(status(r)).as(path).isEqualTo(403);
        }
        assertThat(status(as(nobody).getForEntity("/engine-rest/engine", String.class))).isEqualTo(403);

        for (String user : List.of(viewer, operator)) {
            ResponseEntity<String> history = as(user).getForEntity(
                    engineRest() + "/history/process-instance?processInstanceId=" + id, String.class);
            assertThat(status(history)).as(user).isEqualTo(200);
            assertThat(JSON.readTree(history.getBody()).size()).as(user).isEqualTo(1);
            ResponseEntity<String> definitions = as(user).getForEntity(
                    engineRest() + "/process-definition?key=storageMigration", String.class);
            assertThat(JSON.readTree(definitions.getBody()).size()).as(user).isEqualTo(1);
            ResponseEntity<String> vars = as(user).getForEntity(
                    engineRest() + "/history/variable-instance?processInstanceId=" + id, String.class);
            assertThat(JSON.readTree(vars.getBody()).size()).as(user).isGreaterThan(0);
        }
    }

    @Test
    void approvalTaskAndAbortMessage() throws Exception {
        // an instance waiting at the approval task, put there directly (no QEMU: no step runs)
        String id = processEngine.getRuntimeService().createProcessInstanceByKey("storageMigration")
                .startBeforeActivity(Bpmn.APPROVE_SWITCHOVER)
                .setVariable("domain", "roles-approval").setVariable("destinationHost", "host-b")
                .execute(true, true).getId();
        try {
            Task task = processEngine.getTaskService().createTaskQuery().processInstanceId(id).singleResult();
            String complete = engineRest() + "/task/" + task.getId() + "/complete";
            String approve = "{\"variables\": {\"switchoverApproved\": {\"value\": true, \"type\": \"Boolean\"}}}";

            for (String user : List.of(viewer, nobody)) {
                ResponseEntity<String> r = post(user, complete, approve);
                assertThat(status(r)).as(user + ": " + r.getBody()).isEqualTo(403);
            }
            // operators may complete it: this completion says neither yes nor no, so the process refuses it
            ResponseEntity<String> undecided = post(operator, complete, "{}");
            assertThat(status(undecided)).as(undecided.getBody()).isNotEqualTo(403).isGreaterThanOrEqualTo(400);
            assertThat(undecided.getBody()).contains("switchoverApproved");
            assertThat(processEngine.getTaskService().createTaskQuery().taskId(task.getId()).count()).isEqualTo(1);
            ResponseEntity<String> tasks = as(operator).getForEntity(engineRest() + "/task?processInstanceId=" + id,
                    String.class);
            assertThat(JSON.readTree(tasks.getBody()).size()).isEqualTo(1);

            // the abort message: operators, not viewers
            String abort = "{\"messageName\": \"abortMigration\", \"processInstanceId\": \"" + id + "\"}";
            assertThat(status(post(viewer, engineRest() + "/message", abort))).isEqualTo(403);
            assertThat(status(post(nobody, engineRest() + "/message", abort))).isEqualTo(403);
            ResponseEntity<String> aborted = post(operator, engineRest() + "/message", abort);
            assertThat(status(aborted)).as(aborted.getBody()).isIn(200, 204);
            assertThat(variables(id)).containsEntry("abortRequested", true);
        } finally {
            processEngine.getRuntimeService().deleteProcessInstance(id, "test over", true, true);
        }
    }

    @Test
    void onlyAdminsDeployAndNothingOfARefusedDeploymentRuns() throws Exception {
        Path marker = testRoot().resolve("deployed-code-ran-" + System.nanoTime());
        String key = "evil" + System.nanoTime();
        String bpmn = """
                <?xml version="1.0" encoding="UTF-8"?>
                <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="test">
                  <bpmn:process id="KEY" isExecutable="true" camunda:historyTimeToLive="P1D">
                    <bpmn:startEvent id="s"/>
                    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
                    <bpmn:serviceTask id="t" camunda:expression="${''.getClass().forName('java.lang.Runtime').getMethod('getRuntime').invoke(null).exec('touch MARKER')}"/>
                    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
                    <bpmn:endEvent id="e"/>
                  </bpmn:process>
                </bpmn:definitions>
                """.replace("KEY", key).replace("MARKER", marker.toString());

        for (String user : List.of(operator, viewer, nobody)) {
            ResponseEntity<String> r = deploy(user, bpmn);
            assertThat(status(r)).as(user + ": " + r.getBody()).isEqualTo(403);
            ResponseEntity<String> run = post(user, engineRest() + "/process-definition/key/" + key + "/start", "{}");
            assertThat(status(run)).as(user).isIn(403, 404);
        }
        assertThat(processEngine.getRepositoryService().createProcessDefinitionQuery().processDefinitionKey(key)
                .count()).isZero();
        assertThat(Files.exists(marker)).isFalse();

        // the same deployment by an administrator does run that code: the refusal above is what protects
        ResponseEntity<String> deployed = deploy(ADMIN, bpmn);
        assertThat(status(deployed)).as(deployed.getBody()).isEqualTo(200);
        try {
            post(ADMIN, engineRest() + "/process-definition/key/" + key + "/start", "{}");
            Wait.until("the deployed expression ran", Duration.ofSeconds(10), () -> Files.exists(marker));
        } finally {
            processEngine.getRepositoryService().deleteDeployment(JSON.readTree(deployed.getBody()).get("id").asText(),
                    true);
            Files.deleteIfExists(marker);
        }
    }

    private ResponseEntity<String> deploy(String user, String bpmn) {
        MultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
        form.add("deployment-name", "evil");
        form.add("data", new ByteArrayResource(bpmn.getBytes()) {
            @Override
            public String getFilename() {
                return "evil.bpmn";
            }
        });
        HttpHeaders h = new HttpHeaders();
        h.setContentType(MediaType.MULTIPART_FORM_DATA);
        return as(user).postForEntity(engineRest() + "/deployment/create", new HttpEntity<>(form, h), String.class);
    }

    @Test
    void usersGroupsAndAuthorizationsAreForAdminsOnly() {
        String newUser = "{\"profile\": {\"id\": \"mallory" + System.nanoTime() % 100000
                + "\"}, \"credentials\": {\"password\": \"pw\"}}";
        for (String user : List.of(operator, viewer, nobody)) {
            assertThat(status(post(user, engineRest() + "/user/create", newUser))).as(user).isEqualTo(403);
            for (String group : List.of(Groups.CAMUNDA_ADMIN, "nbdflow-operators")) {
                int joined = status(as(user).exchange(engineRest() + "/group/" + group + "/members/" + nobody,
                        HttpMethod.PUT, null, String.class));
                assertThat(joined).as(user + " into " + group).isEqualTo(403);
            }
            String grant = "{\"type\": 1, \"permissions\": [\"ALL\"], \"userId\": \"" + user
                    + "\", \"resourceType\": 0, \"resourceId\": \"*\"}";
            assertThat(status(post(user, engineRest() + "/authorization/create", grant))).as(user).isEqualTo(403);
            String password = "{\"password\": \"new\", \"authenticatedUserPassword\": \"" + TestUsers.PASSWORD + "\"}";
            // 404 when the user may not even see that user
            assertThat(status(as(user).exchange(engineRest() + "/user/" + nobody + "/credentials",
                    HttpMethod.PUT, json(password), String.class))).as(user).isIn(403, 404);
        }
        assertThat(identityService.createGroupQuery().groupMember(nobody).count()).isZero();
        assertThat(identityService.checkPassword(nobody, TestUsers.PASSWORD)).isTrue();
        // an administrator may
        assertThat(status(post(ADMIN, engineRest() + "/user/create", newUser))).isIn(200, 204);
    }

    @Test
    void webApps() {
        record Case(String user, String app, int expected) {
        }
        for (Case c : List.of(
                new Case(ADMIN, "cockpit", 200), new Case(ADMIN, "admin", 200),
                new Case(operator, "cockpit", 200), new Case(operator, "tasklist", 200), new Case(operator, "admin", 403),
                new Case(viewer, "cockpit", 200), new Case(viewer, "tasklist", 403), new Case(viewer, "admin", 403),
                new Case(nobody, "cockpit", 403), new Case(nobody, "tasklist", 403), new Case(nobody, "admin", 403))) {
            String password = c.user().equals(ADMIN) ? ADMIN_PASSWORD : TestUsers.PASSWORD;
            assertThat(webappLogin(c.user(), password, c.app())).as(c.user() + " in " + c.app()).isEqualTo(c.expected());
        }
    }

    /** The web apps' login form, as the browser sends it (with the CSRF cookie of a first page view). */
    private int webappLogin(String user, String password, String app) {
        ResponseEntity<String> page = anonymous().getForEntity("/camunda/app/" + app + "/", String.class);
        HttpHeaders h = new HttpHeaders();
        h.setContentType(MediaType.APPLICATION_FORM_URLENCODED);
        List<String> cookies = page.getHeaders().getOrEmpty(HttpHeaders.SET_COOKIE);
        StringBuilder cookie = new StringBuilder();
        for (String c : cookies) {
            String pair = c.split(";", 2)[0];
            cookie.append(cookie.isEmpty() ? "" : "; ").append(pair);
            if (pair.startsWith("XSRF-TOKEN=")) {
                h.add("X-XSRF-TOKEN", pair.substring("XSRF-TOKEN=".length()));
            }
        }
        h.add(HttpHeaders.COOKIE, cookie.toString());
        MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
        form.add("username", user);
        form.add("password", password);
        ResponseEntity<String> r = anonymous().postForEntity("/camunda/api/admin/auth/user/" + processEngine.getName()
                + "/login/" + app, new HttpEntity<>(form, h), String.class);
        return status(r);
    }
}
