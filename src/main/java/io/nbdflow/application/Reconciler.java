package io.nbdflow.application;

import io.micrometer.core.instrument.MeterRegistry;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.domain.DomainRepository;
import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.host.Hosts;
import io.nbdflow.process.undo.RecordedUndo;
import io.nbdflow.store.MigrationRecords;
import io.nbdflow.store.PortAllocator;
import org.camunda.bpm.engine.RuntimeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Finds what no live migration owns and undoes it: a migration whose process instance is gone
 * (deleted with {@code skipCustomListeners}, or its clean-up failed) but which still has records
 * (a destination QEMU, created files), a created-files journal on a host, reserved ports or a
 * domain marked migrating. It runs at
 * start-up and then every {@code nbdflow.migration.reconciler-interval}, through the same undo
 * code as the rollback ({@link RecordedUndo}); a migration past its switchover only loses its
 * bookkeeping. What lies on a host that does not answer keeps its records, and the ports that
 * host's QEMU may listen on stay reserved: each run says "host unreachable, next run retries" until
 * the host answers and the rest is removed. Each run is logged, counted
 * ({@code nbdflow.reconciler.cleaned}, tag {@code kind}) and kept for {@code GET /api/reconciler}.
 */
@Component
public class Reconciler implements DisposableBean {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    private static final int KEPT_RUNS = 20;

    /** One run: when, the migrations found without a live instance, and what was done. */
    public record Run(Instant time, List<String> found, List<String> done) {
    }

    private final RuntimeService runtime;
    private final MigrationRecords records;
    private final PortAllocator ports;
    private final DomainRepository domains;
    private final RecordedUndo undo;
    private final Hosts hosts;
    private final MeterRegistry meters;
    private final Duration interval;
    private final Deque<Run> runs = new ArrayDeque<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "nbdflow-reconciler");
        t.setDaemon(true);
        return t;
    });

    public Reconciler(RuntimeService runtime, MigrationRecords records, PortAllocator ports, DomainRepository domains,
                      RecordedUndo undo, Hosts hosts, MeterRegistry meters, NbdflowProperties properties) {
        this.hosts = hosts;
        this.runtime = runtime;
        this.records = records;
        this.ports = ports;
        this.domains = domains;
        this.undo = undo;
        this.meters = meters;
        this.interval = properties.migration().reconcilerInterval();
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        timer.scheduleWithFixedDelay(() -> {
            try {
                reconcile();
            } catch (RuntimeException e) {
                log.warn("reconciler run failed: {}", e.toString(), e);
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One run now; returns what it found and did. */
    public synchronized Run reconcile() {
        List<String> done = new ArrayList<>();
        for (String host : hosts.createPendingFolders()) {
            done.add("created the folders of host " + host + ", unreachable at start-up");
        }
        Set<String> owners = new LinkedHashSet<>(records.migrations());
        owners.addAll(ports.all().keySet());
        owners.addAll(domains.claims().values());
        owners.addAll(undo.journaledMigrations());
        List<String> found = new ArrayList<>();
        for (String id : owners) {
            if (runtime.createProcessInstanceQuery().processInstanceId(id).count() > 0) {
                continue; // a live migration: its own steps and rollback look after it
            }
            found.add(id);
            try {
                for (String action : undo.undoAll(id)) {
                    done.add("migration " + id + ": " + action);
                    if (!action.startsWith(RecordedUndo.HOST_UNREACHABLE)) {
                        meters.counter("nbdflow.reconciler.cleaned", "kind", kind(action)).increment();
                    }
                }
            } catch (HostUnreachableException e) {
                done.add("migration " + id + ": " + RecordedUndo.HOST_UNREACHABLE + e.getMessage());
            } catch (Exception e) {
                done.add("migration " + id + ": failed, next run retries: " + e);
            }
        }
        Run run = new Run(Instant.now(), List.copyOf(found), List.copyOf(done));
        if (!found.isEmpty()) {
            log.info("reconciler: no live migration owns {}; done: {}", found, done);
        }
        synchronized (runs) {
            runs.addFirst(run);
            while (runs.size() > KEPT_RUNS) {
                runs.removeLast();
            }
        }
        return run;
    }

    private static String kind(String action) {
        if (action.startsWith("stopped destination QEMU") || action.startsWith("removed folder")) {
            return "destination-qemu";
        } else if (action.startsWith("removed file")) {
            return "created-file";
        } else if (action.startsWith("released ports")) {
            return "port";
        } else if (action.startsWith("released domain")) {
            return "domain";
        } else if (action.startsWith("cancelled source jobs")) {
            return "source-jobs";
        }
        return "other";
    }

    /** The last runs, newest first. */
    public List<Run> runs() {
        synchronized (runs) {
            return List.copyOf(runs);
        }
    }

    @Override
    public void destroy() {
        timer.shutdownNow();
    }
}
