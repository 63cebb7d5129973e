package io.nbdflow.process.step;

import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostConnection;
import io.nbdflow.migration.ConsoleHandover;
import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.SourceCopies;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.Vars;

import io.nbdflow.qmp.QmpClient;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Confirm, on the source. First every copied disk is flushed on the destination: until then the
 * copy may exist only in the destination QEMU's memory (the legacy block migration leaves the
 * qcow2 metadata unwritten), and the source's image is the only durable one. Then the source QEMU
 * quits and the domain belongs to the destination host with its new files; what the source's
 * console printed last is appended to the destination's ({@link ConsoleHandover}). Once that is committed,
 * the source host's images of the copied disks are removed (see {@link SourceCopies} for which
 * ones), unless the request keeps them; so the domain can later come back to this host.
 * A destination QEMU that is gone by now is an incident for a person: the source is not quit.
 */
@Component("stopSourceDelegate")
public class StopSourceDelegate implements JavaDelegate {
    private static final Logger log = LoggerFactory.getLogger(StopSourceDelegate.class);

    private final MigrationResources resources;

    public StopSourceDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    public void execute(DelegateExecution execution) throws Exception {
        String domain = Vars.string(execution, Vars.DOMAIN);
        MigrationVariables variables = MigrationVariables.of(execution);
        List<String> copied = resources.plan(execution).targetsToCopy();
        QmpClient destination = resources.destinationMonitor(execution);
        for (String target : copied) {
            DestinationSide.flushDisk(destination, target);
        }
        Set<String> openOnDestination = DestinationSide.openFiles(destination);

        Host sourceHost = resources.sourceHost(execution);
        // read before the move: the files the definition names on the source host are the ones to remove
        Optional<DomainDefinition> before = resources.domains().find(domain)
                .filter(d -> d.host().equals(sourceHost.name()));
        Optional<String> sourceConsole = lastSourceConsole(execution, domain, sourceHost);
        resources.source(execution).ifPresent(q -> resources.processes().stop(q, resources.tuning().qemuStopTimeout()));
        sourceConsole.ifPresent(block -> appendConsole(execution, domain, block));
        resources.domains().moveTo(domain, Vars.string(execution, Vars.DESTINATION_HOST),
                resources.plan(execution).destinationDisks());
        resources.releaseBookkeeping(execution.getProcessInstanceId(), domain);
        execution.setVariable(Vars.OUTCOME, Vars.OUTCOME_MIGRATED);
        execution.setVariable(Vars.TOTAL_TIME_MS,
                System.currentTimeMillis() - Vars.longValue(execution, Vars.STARTED_AT, 0));

        if (before.isPresent() && !variables.keepSourceDisks()) {
            List<Path> files = SourceCopies.removable(before.get().disks(), copied, openOnDestination,
                    sourceHost.imageDirs());
            HostConnection connection = resources.hosts().connection(sourceHost);
            // only once the domain's new home is committed: until then these files are still its own
            Context.getCommandContext().getTransactionContext().addTransactionListener(TransactionState.COMMITTED,
                    context -> removeSourceCopies(connection, domain, files));
        }
    }

    /**
     * What the source printed after its console was copied to the destination, read now: stopping
     * the source removes its folder. Best effort: a console is no reason to hold a migration up.
     */
    private Optional<String> lastSourceConsole(DelegateExecution execution, String domain, Host sourceHost) {
        long copiedUpTo = Vars.longValue(execution, Vars.CONSOLE_COPIED_UP_TO, -1);
        if (copiedUpTo < 0) {
            return Optional.empty();
        }
        try {
            return ConsoleHandover.sourceOutputSince(resources.hosts().connection(sourceHost), domain, copiedUpTo);
        } catch (RuntimeException e) {
            log.warn("{}: the source's last console output stays unknown: {}", domain, e.getMessage());
            return Optional.empty();
        }
    }

    private void appendConsole(DelegateExecution execution, String domain, String block) {
        try {
            ConsoleHandover.appendToDestination(resources.hosts().connection(resources.destinationHost(execution)),
                    domain, block);
        } catch (RuntimeException e) {
            log.warn("{}: the source's last console output was not added to the destination's: {}", domain,
                    e.getMessage());
        }
    }

    private static void removeSourceCopies(HostConnection host, String domain, List<Path> files) {
        List<Path> imageDirs = host.host().imageDirs().stream().map(host::realPath).flatMap(Optional::stream)
                .toList();
        for (Path file : files) {
            try {
                // the folder the file is in, links resolved, must still be an image folder or below one
                Optional<Path> folder = host.realPath(file.getParent());
                if (folder.isEmpty() || imageDirs.stream().noneMatch(dir -> folder.get().startsWith(dir))) {
                    log.warn("{}: kept {} on {}: it does not lie in the image folders {}", domain, file,
                            host.host().name(), host.host().imageDirs());
                    continue;
                }
                if (host.deleteIfExists(file)) {
                    log.info("{}: removed {} on {}: the domain runs on its copy now", domain, file,
                            host.host().name());
                }
            } catch (RuntimeException e) {
                log.warn("{}: could not remove {} on {}: {}", domain, file, host.host().name(), e.getMessage());
            }
        }
    }
}
