package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link RateAndEtaTest} between hosts reached over SSH, shorter: the phases named as in the
 * diagram, rates and an estimate while the disks copy (the guest's touched memory read from its
 * QEMU over SSH), and the disks drawn with their sizes after the sync. The estimate's accuracy is
 * judged on the longer local migration.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshRateAndEtaTest extends RateAndEtaTest {

    @Override
    Map<String, Long> disks() {
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("vda", 24 * MiB);
        sizes.put("vdb", 8 * MiB);
        return sizes;
    }

    @Override
    long limitMiBps() {
        return 4;
    }

    @Override
    boolean judgesTheEstimate() {
        return false;
    }
}
