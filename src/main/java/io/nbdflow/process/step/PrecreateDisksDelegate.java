package io.nbdflow.process.step;

import io.nbdflow.host.Host;
import io.nbdflow.host.HostConnection;
import io.nbdflow.migration.CookieException;
import io.nbdflow.migration.DiskPlan;
import io.nbdflow.migration.MigrationCookie;
import io.nbdflow.migration.PlannedDisk;
import io.nbdflow.process.CreatedFilesJournal;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.Vars;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prepare, on the destination: reads the source's cookie like a destination would (it must
 * announce the planned disks with their sizes), and creates each disk to copy with the planned
 * virtual size and format (for copyStorage=inc: an overlay on the same backing file). A file that
 * already exists is never overwritten: the migration is refused. Only files this step created
 * are recorded, so the undo can never remove anything else; {@link CreatedFilesJournal} keeps
 * that true across a crash.
 */
@Component("precreateDisksDelegate")
public class PrecreateDisksDelegate extends MigrationStep {
    private final MigrationResources resources;

    public PrecreateDisksDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void run(DelegateExecution execution) throws Exception {
        MigrationVariables variables = MigrationVariables.of(execution);
        MigrationCookie cookie;
        try {
            cookie = variables.beginCookie();
        } catch (CookieException e) {
            throw refused(e.getMessage());
        }
        DiskPlan plan = resources.plan(execution);
        Host host = resources.destinationHost(execution);
        HostConnection destination = resources.hosts().connection(host);
        CreatedFilesJournal journal = new CreatedFilesJournal(destination, execution.getProcessInstanceId());
        // a redo after a crash: what this step created before is ours (its record died with the commit)
        journal.files().forEach(f -> resources.storage().deleteIfExists(host, f));
        // the sizes are the plan's; the cookie must announce the same disks with the same sizes
        plan.requireAnnouncedBy(cookie, Vars.COOKIE_BEGIN);
        for (PlannedDisk d : plan.toCopy()) {
            Path file = Path.of(d.destinationFile());
            if (destination.exists(file)) {
                throw refused(existing(host, file, d));
            }
        }
        List<Path> created = new ArrayList<>();
        try {
            for (PlannedDisk d : plan.toCopy()) {
                Path file = Path.of(d.destinationFile());
                resources.storage().createExclusive(host, file, d.format(), d.size(), d.backingFile(), d.backingFormat());
                created.add(file);
                journal.add(file);
                resources.records().addFile(execution.getProcessInstanceId(), host.name(), file.toString());
            }
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // undo our own partial work: the compensation only covers completed steps
            forget(execution, host, created);
            journal.delete();
            throw refused("destination file " + e.getFile() + " appeared meanwhile; nbdflow never overwrites a file");
        } catch (RuntimeException e) {
            forget(execution, host, created);
            journal.delete();
            throw e;
        }
        variables.writeCreatedFiles(created);
        // from the commit on, the process variable is the record
        Context.getCommandContext().getTransactionContext().addTransactionListener(TransactionState.COMMITTED,
                context -> journal.delete());
    }

    private void forget(DelegateExecution execution, Host host, List<Path> created) {
        for (Path f : created) {
            resources.storage().deleteIfExists(host, f);
            resources.records().removeFile(execution.getProcessInstanceId(), host.name(), f.toString());
        }
    }

    private String existing(Host host, Path file, PlannedDisk d) {
        try {
            long size = resources.storage().info(host, file).virtualSize();
            if (size < d.size()) {
                return "destination file " + file + " exists and is smaller than " + d.target() + " (" + size
                        + " < " + d.size() + " bytes); nbdflow never overwrites a file";
            }
        } catch (RuntimeException ignored) {
            // not an image qemu-img can read: the plain message below says enough
        }
        return "destination file " + file + " already exists; nbdflow never overwrites a file: remove it "
                + "or migrate elsewhere";
    }
}
