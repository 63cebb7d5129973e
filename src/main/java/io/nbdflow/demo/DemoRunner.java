package io.nbdflow.demo;

import io.nbdflow.application.MigrateCommand;
import io.nbdflow.application.MigrationService;
import io.nbdflow.application.MigrationView;
import io.nbdflow.application.ProgressText;
import io.nbdflow.domain.DefineRequest;
import io.nbdflow.host.DiskDefinition;
import io.nbdflow.domain.DomainService;
import io.nbdflow.domain.DomainState;
import io.nbdflow.host.CommandResult;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostConnection;
import io.nbdflow.host.Hosts;
import io.nbdflow.config.NbdflowProperties;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.camunda.bpm.engine.IdentityService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./nbdflow demo}: a VM with two disks on host-a, migrated with its storage to host-b through
 * the same API a user calls, with a progress bar per disk and for RAM. Exits 0 only if it migrated.
 */
@Component
@ConditionalOnProperty(name = "demo.run", havingValue = "true")
public class DemoRunner {
    static final String DOMAIN = "demo";
    private static final long MIB = 1L << 20;
    private final DomainService domains;
    private final MigrationService migrations;
    private final Hosts hosts;
    private final NbdflowProperties properties;
    private final ConfigurableApplicationContext context;
    private final Environment env;
    private final IdentityService identity;

    public DemoRunner(DomainService domains, MigrationService migrations, Hosts hosts, NbdflowProperties properties,
                      ConfigurableApplicationContext context, Environment env, IdentityService identity) {
        this.domains = domains;
        this.migrations = migrations;
        this.hosts = hosts;
        this.properties = properties;
        this.context = context;
        this.env = env;
        this.identity = identity;
    }

    /** After start-up is complete: the job executor only starts with the ready event. */
    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        Thread t = new Thread(this::run, "demo");
        t.start();
    }

    private void run() {
        int code = 1;
        try (DemoLogin login = DemoLogin.create(identity)) {
            System.out.println("watch it in Cockpit while it runs: http://localhost:" + port()
                    + "/camunda/app/cockpit/ (user " + DemoLogin.USER + ", password " + login.password()
                    + "; removed when the demo ends)");
            code = demo() ? 0 : 1;
        } catch (Exception e) {
            System.out.println("demo failed: " + e.getMessage());
        }
        int exit = code;
        System.exit(SpringApplication.exit(context, () -> exit));
    }

    private boolean demo() throws Exception {
        Host a = hosts.get("host-a");
        Host b = hosts.get("host-b");
        resetPreviousDemo(a, b);
        Path vda = image(a, "demo-src-vda.qcow2", 512 * MIB, 0x11, 96 * MIB);
        Path vdb = image(a, "demo-src-vdb.qcow2", 128 * MIB, 0x22, 32 * MIB);
        domains.define(DOMAIN, new DefineRequest(a.name(), 128, 1, List.of(
                new DiskDefinition("vda", vda.toString(), "qcow2", false),
                new DiskDefinition("vdb", vdb.toString(), "qcow2", false))));
        domains.start(DOMAIN);
        System.out.printf("demo VM '%s' runs on %s with vda (512 MiB, 96 MiB written) and vdb (128 MiB, 32 MiB written)%n",
                DOMAIN, a.name());

        // host-a keeps its files, so that the demo can be checked by comparing them with the copies
        String id = migrations.start(DOMAIN, new MigrateCommand(b.name(), "all", null, false, 64L, false, true));
        System.out.println("migrating to " + b.name() + " (mirror and migration limited to 64 MiB/s so you can watch)");
        MigrationView status = follow(id);

        System.out.println();
        System.out.println("outcome:      " + status.outcome());
        if (!status.migrated()) {
            System.out.println("reason:       " + status.failureReason());
        } else {
            System.out.printf("total time:   %d ms%ndowntime:     %d ms%nbytes copied: %d MiB%n",
                    status.totalTimeMs(), status.downtimeMs(), status.bytesMirrored() / MIB);
            System.out.println("domain:       " + DOMAIN + " now on " + domains.get(DOMAIN).host() + ", disks in "
                    + b.storageDir());
        }
        domains.stop(DOMAIN); // leave no QEMU behind; the instance stays in the database for Cockpit
        System.out.println("See it in Cockpit later: NBDFLOW_ADMIN_PASSWORD=<yours> ./nbdflow serve, then http://localhost:"
                + port() + "/camunda/app/cockpit/default/#/process-instance/" + id + "/history (login admin)");
        return status.migrated();
    }

    /**
     * Prints the progress until the migration ends: redrawn in place on a terminal, else (a log,
     * CI) a new block whenever it changed, without escape codes.
     */
    private MigrationView follow(String id) throws InterruptedException {
        boolean terminal = System.console() != null;
        List<String> last = List.of();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (true) {
            MigrationView s = migrations.status(id);
            List<String> block = new ArrayList<>(ProgressText.progress(s));
            if (terminal) {
                StringBuilder out = new StringBuilder();
                if (!last.isEmpty()) {
                    out.append("\033[").append(last.size()).append("A"); // back to the top of our block
                }
                while (block.size() < last.size()) {
                    block.add(""); // blank what a longer block drew before
                }
                block.forEach(line -> out.append("\033[2K").append(line).append(System.lineSeparator()));
                System.out.print(out);
            } else if (!block.equals(last)) {
                block.forEach(System.out::println);
            }
            last = block;
            if (s.ended() || System.nanoTime() > deadline) {
                return s;
            }
            Thread.sleep(300);
        }
    }

    private String port() {
        return env.getProperty("server.port", "8080");
    }

    private Path image(Host host, String name, long size, int pattern, long written) {
        Path file = host.storageDir().resolve(name);
        HostConnection on = hosts.connection(host);
        check(on.run(List.of(properties.qemuImgBinary(), "create", "-q", "-f", "qcow2", file.toString(),
                Long.toString(size)), Duration.ofSeconds(30)));
        check(on.run(List.of(properties.qemuIoBinary(), "-f", "qcow2", "-c",
                String.format("write -P 0x%x 0 %d", pattern, written), file.toString()), Duration.ofSeconds(60)));
        return file;
    }

    private static void check(CommandResult r) {
        if (!r.ok()) {
            throw new IllegalStateException(r.stderr().strip());
        }
    }

    /** A second demo run starts over: stops the last demo VM and removes the files only the demo made. */
    private void resetPreviousDemo(Host a, Host b) throws Exception {
        try {
            if (domains.get(DOMAIN).state() != DomainState.SHUTOFF) {
                domains.stop(DOMAIN);
            }
        } catch (RuntimeException notDefinedYet) {
            // first run
        }
        for (String f : List.of("demo-src-vda.qcow2", "demo-src-vdb.qcow2")) {
            hosts.connection(a).deleteIfExists(a.storageDir().resolve(f));
        }
        for (String f : List.of("demo-vda.qcow2", "demo-vdb.qcow2")) {
            hosts.connection(b).deleteIfExists(b.storageDir().resolve(f));
        }
    }
}
