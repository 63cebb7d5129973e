package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.Vars;

import io.nbdflow.migration.CopyStorage;
import io.nbdflow.migration.SourceSide;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

/** Perform, one instance per disk: {@code blockdev-mirror} of that disk into its NBD export on the destination. */
@Component("mirrorDiskDelegate")
public class MirrorDiskDelegate extends MigrationStep {
    static final long MIB = 1L << 20;
    private final MigrationResources r;

    public MirrorDiskDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    protected void run(DelegateExecution x) throws Exception {
        String target = Vars.string(x, Vars.DISK);
        boolean topOnly = CopyStorage.parse(Vars.string(x, Vars.COPY_STORAGE)) == CopyStorage.INC;
        SourceSide.startMirror(r.sourceMonitor(x), target, r.destinationHost(x).address().getHostAddress(),
                Vars.intValue(x, Vars.NBD_PORT), topOnly, Vars.longValue(x, Vars.BANDWIDTH_MIBPS, 0) * MIB);
    }
}
