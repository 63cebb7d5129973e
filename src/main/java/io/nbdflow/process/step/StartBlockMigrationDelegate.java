package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.Vars;

import io.nbdflow.migration.CookieXml;
import io.nbdflow.migration.CopyStorage;
import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.MigrationCookie;
import io.nbdflow.migration.SourceSide;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

/**
 * The seed's fallback when either side lacks NBD (or tunnelled migration was asked for): QEMU's own
 * block migration ({@code blk}, or {@code inc} for the top layer) into the pre-created disks of a
 * destination started with named {@code -drive} backends.
 */
@Component("startBlockMigrationDelegate")
public class StartBlockMigrationDelegate extends MigrationStep {
    private final MigrationResources r;

    public StartBlockMigrationDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    protected void run(DelegateExecution x) throws Exception {
        String uri = DestinationSide.tcpUri(r.destinationHost(x).address().getHostAddress(),
                Vars.intValue(x, Vars.MIGRATION_PORT));
        DestinationSide.migrateIncoming(r.destinationMonitor(x), uri);
        x.setVariable(Vars.COOKIE_PREPARE, CookieXml.write(new MigrationCookie(Vars.string(x, Vars.DOMAIN), null,
                r.destinationHost(x).name(), null)));
        SourceSide.startLegacyMigration(r.sourceMonitor(x), uri,
                CopyStorage.parse(Vars.string(x, Vars.COPY_STORAGE)) == CopyStorage.INC,
                Vars.longValue(x, Vars.BANDWIDTH_MIBPS, 0) * MirrorDiskDelegate.MIB);
    }
}
