package io.nbdflow.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.test.context.support.TestPropertySourceUtils;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Gives each test application context its own world: a fresh folder under /tmp (short, so
 * socket paths stay far below 107 bytes) with host-a (127.0.0.1) and host-b (127.0.0.2)
 * state and storage folders (disks allowed from those and root/src), an in-memory H2 database of its own, a uniquely named engine and
 * the engine user test/test. When the context closes, its QEMUs are killed and the folder goes.
 * Used by {@link SpringQemuTest}; {@link #properties} serves tests that build contexts by hand.
 */
public class NbdflowTestContext implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    /** Property holding the context's test folder (outside nbdflow.*, which rejects unknown keys). */
    public static final String ROOT_PROPERTY = "nbdflow-test.root";
    public static final String USER = "test";
    public static final String PASSWORD = "test";
    /** Folder below the root, allowed on both hosts, for disk images a test defines domains with. */
    public static final String SOURCE_IMAGES = "src";
    /**
     * Property holding a folder every host sees at that same path and may take disks from, as
     * shared storage (a template store, a disk left where it is): here root/src.
     */
    public static final String SHARED_PROPERTY = "nbdflow-test.shared";

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        Path root = newRoot();
        String db = "jdbc:h2:mem:nbdflow-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        Map<String, String> properties = contextProperties(root, db);
        if (context.getEnvironment().containsProperty("camunda.bpm.process-engine-name")) {
            // a test that names its engine (e.g. "default", for the plain /engine-rest paths) keeps that name
            properties.remove("camunda.bpm.generate-unique-process-engine-name");
        }
        // what a test class sets itself (@TestPropertySource) wins over these defaults; copied in, not
        // left where it is, because a list (nbdflow.hosts) is bound whole from the first source having it
        if (context.getEnvironment().getPropertySources().get(TestPropertySourceUtils
                .INLINED_PROPERTIES_PROPERTY_SOURCE_NAME) instanceof EnumerablePropertySource<?> inlined) {
            for (String name : inlined.getPropertyNames()) {
                properties.put(name, String.valueOf(inlined.getProperty(name)));
            }
        }
        TestPropertyValues.of(properties).applyTo(context);
        context.addApplicationListener(event -> {
            if (event instanceof ContextClosedEvent closed && closed.getApplicationContext() == context) {
                cleanUp(root);
            }
        });
    }

    /** The properties of a context living in root: {@link #properties} unless a subclass places its hosts elsewhere. */
    protected Map<String, String> contextProperties(Path root, String datasourceUrl) {
        return properties(root, datasourceUrl);
    }

    /** When the context closes: its QEMUs killed, its folders gone. */
    protected void cleanUp(Path root) {
        QemuReaper.killAllBelow(root);
        deleteTree(root);
    }

    /** A fresh, short folder such as /tmp/nbdt1234567890. */
    public static Path newRoot() {
        try {
            return Files.createTempDirectory(Path.of("/tmp"), "nbdt");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The application properties of a test context living in root with that database URL. */
    public static Map<String, String> properties(Path root, String datasourceUrl) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(ROOT_PROPERTY, root.toString());
        p.put(SHARED_PROPERTY, root.resolve(SOURCE_IMAGES).toString());
        p.put("spring.datasource.url", datasourceUrl);
        p.put("camunda.bpm.generate-unique-process-engine-name", "true");
        p.put("camunda.bpm.admin-user.id", USER);
        p.put("camunda.bpm.admin-user.password", PASSWORD);
        p.put("nbdflow.data-dir", root.resolve("data").toString());
        // the reconciler's tests wait for a run: a short interval keeps them fast
        p.put("nbdflow.migration.reconciler-interval", "5s");
        // -Dnbdflow.test.address-b=127.0.0.N lets two test runs on one machine stay out of each other's ports
        String addressB = System.getProperty("nbdflow.test.address-b", "127.0.0.2");
        String[][] hosts = {{"host-a", "127.0.0.1", "a"}, {"host-b", addressB, "b"}};
        for (int i = 0; i < hosts.length; i++) {
            String prefix = "nbdflow.hosts[" + i + "].";
            p.put(prefix + "name", hosts[i][0]);
            p.put(prefix + "address", hosts[i][1]);
            p.put(prefix + "state-dir", root.resolve(hosts[i][2]).resolve("state").toString());
            p.put(prefix + "storage-dir", root.resolve(hosts[i][2]).resolve("images").toString());
            // disks may lie in the host's storage folder or in root/src, the tests' folder of source images
            p.put(prefix + "image-dirs[0]", root.resolve(hosts[i][2]).resolve("images").toString());
            p.put(prefix + "image-dirs[1]", root.resolve(SOURCE_IMAGES).toString());
        }
        return p;
    }

    /** The same as "key=value" strings, e.g. for SpringApplicationBuilder.properties(...). */
    public static String[] propertyArray(Path root, String datasourceUrl) {
        return properties(root, datasourceUrl).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
    }

    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
