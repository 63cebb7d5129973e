package io.nbdflow.process.step;

import io.nbdflow.host.Host;
import io.nbdflow.process.CreatedFilesJournal;
import io.nbdflow.process.DiskPlanVariable;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.PlannedDisk;
import io.nbdflow.process.Vars;

import io.nbdflow.migration.CookieException;
import io.nbdflow.migration.CookieXml;
import io.nbdflow.migration.MigrationCookie;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Prepare, on the destination: reads the source's cookie like a destination would, and creates
 * each disk to copy with the same virtual size and format (for copyStorage=inc: an overlay on the
 * same backing file). A file that already exists is never
 * overwritten: the migration is refused. Only files this step created are recorded, so the undo
 * can never remove anything else; {@link CreatedFilesJournal} keeps that true across a crash.
 */
@Component("precreateDisksDelegate")
public class PrecreateDisksDelegate extends MigrationStep {
    private final MigrationResources r;

    public PrecreateDisksDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    protected void run(DelegateExecution x) throws Exception {
        MigrationCookie cookie;
        try {
            cookie = CookieXml.parse(Vars.string(x, Vars.COOKIE_BEGIN));
        } catch (CookieException e) {
            throw refused(e.getMessage());
        }
        List<PlannedDisk> disks = DiskPlanVariable.toCopy(x);
        CreatedFilesJournal journal = new CreatedFilesJournal(r.hosts().connection(r.destinationHost(x)), x.getProcessInstanceId());
        // a redo after a crash: what this step created before is ours (its record died with the commit)
        journal.files().forEach(f -> r.storage().deleteIfExists(r.destinationHost(x), f));
        // NBD: the sizes the source announced in its cookie; legacy: the plan's (no <nbd> element)
        Map<String, Long> sizes = cookie.nbd() != null
                ? cookie.nbd().disks().stream()
                        .collect(Collectors.toMap(MigrationCookie.NbdDisk::target, MigrationCookie.NbdDisk::size))
                : disks.stream().collect(Collectors.toMap(PlannedDisk::target, PlannedDisk::size));
        for (PlannedDisk d : disks) {
            Path file = Path.of(d.destinationFile());
            if (!sizes.containsKey(d.target())) {
                throw refused("cookieBegin: the source's cookie does not list disk " + d.target());
            }
            if (r.hosts().connection(r.destinationHost(x)).exists(file)) {
                throw refused(existing(r.destinationHost(x), file, d, sizes.get(d.target())));
            }
        }
        List<Path> created = new ArrayList<>();
        try {
            for (PlannedDisk d : disks) {
                Path file = Path.of(d.destinationFile());
                r.storage().createExclusive(r.destinationHost(x), file, d.format(), sizes.get(d.target()), d.backingFile(), d.backingFormat());
                created.add(file);
                journal.add(file);
            }
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // undo our own partial work: the compensation only covers completed steps
            created.forEach(f -> r.storage().deleteIfExists(r.destinationHost(x), f));
            journal.delete();
            throw refused("destination file " + e.getFile() + " appeared meanwhile; nbdflow never overwrites a file");
        } catch (RuntimeException e) {
            created.forEach(f -> r.storage().deleteIfExists(r.destinationHost(x), f));
            journal.delete();
            throw e;
        }
        DiskPlanVariable.writeCreatedFiles(x, created);
        // from the commit on, the process variable is the record
        Context.getCommandContext().getTransactionContext().addTransactionListener(TransactionState.COMMITTED,
                context -> journal.delete());
    }

    private String existing(Host destination, Path file, PlannedDisk d, long sourceSize) {
        try {
            long size = r.storage().info(destination, file).virtualSize();
            if (size < sourceSize) {
                return "destination file " + file + " exists and is smaller than " + d.target() + " (" + size
                        + " < " + sourceSize + " bytes); nbdflow never overwrites a file";
            }
        } catch (RuntimeException ignored) {
            // not an image qemu-img can read: the plain message below says enough
        }
        return "destination file " + file + " already exists; nbdflow never overwrites a file: remove it "
                + "or migrate elsewhere";
    }
}
