package io.nbdflow.security;

import java.util.Collection;

import org.camunda.bpm.engine.authorization.Groups;

/**
 * The three roles, as engine groups. Each role includes the ones below it: an administrator may do
 * everything an operator may, an operator everything a viewer may. A user in none of these groups
 * may log in but is refused everywhere.
 */
public enum Roles {

    /** Reads domains, migrations, their history and Cockpit; changes nothing. */
    VIEWER("nbdflow-viewers"),
    /** Defines, starts and stops domains; starts, approves and aborts migrations. */
    OPERATOR("nbdflow-operators"),
    /** Everything, including deployments (a deployed BPMN runs code as the service user) and users. */
    ADMIN(Groups.CAMUNDA_ADMIN);

    private final String groupId;

    Roles(String groupId) {
        this.groupId = groupId;
    }

    public String groupId() {
        return groupId;
    }

    /** Whether a user in these groups holds this role (or a higher one). */
    public boolean heldBy(Collection<String> groupIds) {
        if (groupIds == null) {
            return false;
        }
        for (Roles role : values()) {
            if (role.ordinal() >= ordinal() && groupIds.contains(role.groupId)) {
                return true;
            }
        }
        return false;
    }
}
