package io.nbdflow.security;

import static org.camunda.bpm.engine.authorization.Authorization.ANY;
import static org.camunda.bpm.engine.authorization.Authorization.AUTH_TYPE_GRANT;

import java.util.List;

import org.camunda.bpm.engine.AuthorizationService;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.authorization.Authorization;
import org.camunda.bpm.engine.authorization.HistoricProcessInstancePermissions;
import org.camunda.bpm.engine.authorization.HistoricTaskPermissions;
import org.camunda.bpm.engine.authorization.Permission;
import org.camunda.bpm.engine.authorization.Permissions;
import org.camunda.bpm.engine.authorization.Resource;
import org.camunda.bpm.engine.authorization.Resources;
import org.camunda.bpm.engine.identity.Group;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Creates, when the engine starts, the groups of the operator and viewer roles and what they may
 * do, as engine authorizations: the engine REST API, Cockpit, Tasklist and the engine calls behind
 * /api all check these same rows. camunda-admin needs none (the engine lets its members do
 * everything) and no other role may deploy, or manage users, groups and authorizations. What
 * exists is kept: an administrator who changed a grant keeps the change; only a missing group or
 * a missing grant row is created.
 */
@Component
public class RoleAuthorizations extends AbstractProcessEnginePlugin {

    private static final Logger LOG = LoggerFactory.getLogger(RoleAuthorizations.class);

    private record Grant(Roles role, Resource resource, String resourceId, List<Permission> permissions) {
    }

    /** The whole table: a role's grants, and nothing else, are what it may do on the engine. */
    static final List<Grant> GRANTS = List.of(
            // viewers: read everything about domains' migrations, in Cockpit or through the APIs
            new Grant(Roles.VIEWER, Resources.APPLICATION, "cockpit", List.of(Permissions.ACCESS)),
            new Grant(Roles.VIEWER, Resources.PROCESS_DEFINITION, ANY, List.of(Permissions.READ,
                    Permissions.READ_HISTORY, Permissions.READ_INSTANCE, Permissions.READ_TASK)),
            new Grant(Roles.VIEWER, Resources.PROCESS_INSTANCE, ANY, List.of(Permissions.READ)),
            new Grant(Roles.VIEWER, Resources.TASK, ANY, List.of(Permissions.READ)),
            new Grant(Roles.VIEWER, Resources.DEPLOYMENT, ANY, List.of(Permissions.READ)),
            new Grant(Roles.VIEWER, Resources.HISTORIC_PROCESS_INSTANCE, ANY,
                    List.of(HistoricProcessInstancePermissions.READ)),
            new Grant(Roles.VIEWER, Resources.HISTORIC_TASK, ANY, List.of(HistoricTaskPermissions.READ)),
            // operators: the same, and start, approve (complete the task), abort and cancel migrations
            new Grant(Roles.OPERATOR, Resources.APPLICATION, "cockpit", List.of(Permissions.ACCESS)),
            new Grant(Roles.OPERATOR, Resources.APPLICATION, "tasklist", List.of(Permissions.ACCESS)),
            new Grant(Roles.OPERATOR, Resources.PROCESS_DEFINITION, ANY, List.of(Permissions.READ,
                    Permissions.READ_HISTORY, Permissions.READ_INSTANCE, Permissions.READ_TASK,
                    Permissions.CREATE_INSTANCE, Permissions.UPDATE_INSTANCE, Permissions.DELETE_INSTANCE,
                    Permissions.UPDATE_TASK, Permissions.TASK_WORK)),
            new Grant(Roles.OPERATOR, Resources.PROCESS_INSTANCE, ANY, List.of(Permissions.READ,
                    Permissions.CREATE, Permissions.UPDATE, Permissions.DELETE)),
            new Grant(Roles.OPERATOR, Resources.TASK, ANY, List.of(Permissions.READ, Permissions.UPDATE,
                    Permissions.TASK_WORK)),
            new Grant(Roles.OPERATOR, Resources.DEPLOYMENT, ANY, List.of(Permissions.READ)),
            new Grant(Roles.OPERATOR, Resources.FILTER, ANY, List.of(Permissions.READ)),
            new Grant(Roles.OPERATOR, Resources.HISTORIC_PROCESS_INSTANCE, ANY,
                    List.of(HistoricProcessInstancePermissions.READ)),
            new Grant(Roles.OPERATOR, Resources.HISTORIC_TASK, ANY, List.of(HistoricTaskPermissions.READ)));

    @Override
    public void postProcessEngineBuild(ProcessEngine engine) {
        IdentityService identity = engine.getIdentityService();
        for (Roles role : List.of(Roles.OPERATOR, Roles.VIEWER)) {
            if (!identity.isReadOnly() && identity.createGroupQuery().groupId(role.groupId()).count() == 0) {
                Group group = identity.newGroup(role.groupId());
                group.setName(role.name().charAt(0) + role.name().substring(1).toLowerCase() + "s of nbdflow");
                group.setType("SYSTEM");
                identity.saveGroup(group);
                LOG.info("Created group {}", role.groupId());
            }
        }
        AuthorizationService authorizations = engine.getAuthorizationService();
        for (Grant grant : GRANTS) {
            boolean present = authorizations.createAuthorizationQuery().groupIdIn(grant.role().groupId())
                    .resourceType(grant.resource()).resourceId(grant.resourceId()).count() > 0;
            if (present) {
                continue;
            }
            Authorization a = authorizations.createNewAuthorization(AUTH_TYPE_GRANT);
            a.setGroupId(grant.role().groupId());
            a.setResource(grant.resource());
            a.setResourceId(grant.resourceId());
            grant.permissions().forEach(a::addPermission);
            authorizations.saveAuthorization(a);
        }
    }
}
