package io.nbdflow.process.step;

import io.nbdflow.migration.CopyModeChoice;
import io.nbdflow.migration.CopyStorage;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.migration.MirrorJobs;
import io.nbdflow.migration.MirrorOptions;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.CopyModesUsed;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.MigrationTls;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Perform, one instance per disk: {@code blockdev-mirror} of that disk into its NBD export on the
 * destination, in the copy mode {@link CopyModeChoice} picks, which it records (variable
 * {@link Vars#MIRROR_COPY_MODE_USED}) and logs.
 */
@Component("mirrorDiskDelegate")
public class MirrorDiskDelegate extends MigrationStep {
    private static final Logger log = LoggerFactory.getLogger(MirrorDiskDelegate.class);

    private final MigrationResources resources;

    public MirrorDiskDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void run(DelegateExecution execution) throws Exception {
        MigrationVariables variables = MigrationVariables.of(execution);
        MigrationRequest request = variables.request();
        String disk = Vars.string(execution, Vars.DISK);
        QmpClient source = resources.sourceMonitor(execution);
        if (SourceSide.mirrorJobs(source).stream().anyMatch(j -> j.id().equals(MirrorJobs.jobId(disk)))) {
            return; // a retried step: the mirror runs in the mode recorded when it started
        }
        CopyModeChoice choice = CopyModeChoice.forDisk(source, disk, request.mirrorCopyMode(),
                request.bandwidthBytesPerSecond(), variables.guestWrites());
        SourceSide.startMirror(source, new MirrorOptions(disk,
                resources.destinationHost(execution).address().getHostAddress(), variables.nbdPort(),
                request.copyStorage() == CopyStorage.INC, request.bandwidthBytesPerSecond(), choice.mode()),
                MigrationTls.source(resources, execution, source));
        execution.setVariable(Vars.MIRROR_COPY_MODE_USED, CopyModesUsed.parse(
                execution.getVariable(Vars.MIRROR_COPY_MODE_USED)).with(disk, choice.describe()).toString());
        log.info("migration {}: mirror of {} runs {}", execution.getProcessInstanceId(), disk, choice.describe());
    }
}
