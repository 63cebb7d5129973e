package io.nbdflow.demo;

import io.nbdflow.security.Roles;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.identity.User;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * The login of one demo run: user {@code demo}, a viewer (Cockpit, read-only), with a random
 * password printed for the person watching. It is removed when the demo ends, so a server later
 * started on the same data folder serves no account that the demo made.
 */
final class DemoLogin implements AutoCloseable {
    static final String USER = "demo";

    private final IdentityService identity;
    private final String password;

    private DemoLogin(IdentityService identity, String password) {
        this.identity = identity;
        this.password = password;
    }

    /** Creates the user afresh (a run that was killed may have left it behind). */
    static DemoLogin create(IdentityService identity) {
        remove(identity);
        byte[] secret = new byte[12];
        new SecureRandom().nextBytes(secret);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        User user = identity.newUser(USER);
        user.setFirstName("Demo");
        user.setLastName("run");
        user.setPassword(password);
        identity.saveUser(user);
        identity.createMembership(USER, Roles.VIEWER.groupId());
        return new DemoLogin(identity, password);
    }

    String password() {
        return password;
    }

    @Override
    public void close() {
        remove(identity);
    }

    private static void remove(IdentityService identity) {
        if (identity.createUserQuery().userId(USER).count() > 0) {
            identity.deleteUser(USER); // memberships go with it
        }
    }
}
