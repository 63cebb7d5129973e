package io.nbdflow.testsupport;

import java.util.concurrent.atomic.AtomicInteger;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.identity.User;

/**
 * Engine users for tests of who may do what. The context's own user test/test is in camunda-admin
 * (it is the configured admin user); these are extra users in one group each, or in none.
 */
public final class TestUsers {

    public static final String PASSWORD = "secret";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private TestUsers() {
    }

    /** A new user with password {@link #PASSWORD}, member of these groups (none: a user without a role). */
    public static String create(IdentityService identity, String... groupIds) {
        String id = "u" + System.nanoTime() % 1_000_000_000L + "x" + COUNTER.incrementAndGet();
        User user = identity.newUser(id);
        user.setPassword(PASSWORD);
        identity.saveUser(user);
        for (String group : groupIds) {
            identity.createMembership(id, group);
        }
        return id;
    }
}
