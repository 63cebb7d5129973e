package io.nbdflow.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MigrationRequestTest {
    private static final long MIB = 1L << 20;

    private static Map<String, Object> input(Object... pairs) {
        Map<String, Object> input = new HashMap<>();
        input.put("domain", "web1");
        input.put("destinationHost", "host-b");
        for (int i = 0; i < pairs.length; i += 2) {
            input.put((String) pairs[i], pairs[i + 1]);
        }
        return input;
    }

    private static void assertRefused(Map<String, Object> input, String field, String message) {
        assertThatThrownBy(() -> MigrationRequest.parse(input))
                .isInstanceOfSatisfying(MigrationRefusedException.class, e -> assertThat(e.field()).isEqualTo(field))
                .hasMessage(message);
    }

    private static void assertRefusedWith(Map<String, Object> input, String field, String part) {
        assertThatThrownBy(() -> MigrationRequest.parse(input))
                .isInstanceOfSatisfying(MigrationRefusedException.class, e -> assertThat(e.field()).isEqualTo(field))
                .hasMessageContaining(part).message().hasSizeLessThan(300);
    }

    @Test
    void onlyDomainAndDestinationAreRequired() {
        MigrationRequest request = MigrationRequest.parse(input());

        assertThat(request).isEqualTo(new MigrationRequest("web1", "host-b", CopyStorage.ALL,
                DiskSelection.EVERY_WRITABLE_DISK, 0, false, false, false));
        assertThat(request.disks().everyWritableDisk()).isTrue();
        assertThat(request.bandwidthMiBps()).isZero();
    }

    @Test
    void everyFieldIsRead() {
        MigrationRequest request = MigrationRequest.parse(input("domain", " web1 ", "copyStorage", " INC ",
                "migrateDisks", "vda, vdb", "tunnelled", true, "bandwidthMiBps", 16, "approveSwitchover", true,
                "keepSourceDisks", true));

        assertThat(request.domain()).isEqualTo("web1");
        assertThat(request.copyStorage()).isEqualTo(CopyStorage.INC);
        assertThat(request.disks()).isEqualTo(new DiskSelection("vda, vdb"));
        assertThat(request.tunnelled()).isTrue();
        assertThat(request.approveSwitchover()).isTrue();
        assertThat(request.keepSourceDisks()).isTrue();
        // converted once, here: MiB/s in, bytes per second for QEMU
        assertThat(request.bandwidthBytesPerSecond()).isEqualTo(16 * MIB);
        assertThat(request.bandwidthMiBps()).isEqualTo(16L);
    }

    @Test
    void theConvergenceFieldsHaveTheirDefaults() {
        MigrationRequest request = MigrationRequest.parse(input());

        assertThat(request.mirrorCopyMode()).isEqualTo(MirrorCopyMode.AUTO);
        assertThat(request.maxDowntimeMs()).as("QEMU's own").isZero();
        assertThat(request.autoConverge()).isTrue();
        assertThat(request.stallTimeoutSeconds()).isEqualTo(120);
        assertThat(request.requireTls()).as("decided by the hosts").isNull();
    }

    @Test
    void theConvergenceFieldsAreRead() {
        MigrationRequest request = MigrationRequest.parse(input("mirrorCopyMode", " Write-Blocking ",
                "maxDowntimeMs", 300, "autoConverge", false, "stallTimeoutSeconds", 30L, "requireTls", false));

        assertThat(request.mirrorCopyMode()).isEqualTo(MirrorCopyMode.WRITE_BLOCKING);
        assertThat(request.maxDowntimeMs()).isEqualTo(300);
        assertThat(request.autoConverge()).isFalse();
        assertThat(request.stallTimeoutSeconds()).isEqualTo(30);
        assertThat(request.requireTls()).isFalse();
    }

    @Test
    void badConvergenceValuesAreRefusedNamingTheirField() {
        assertRefused(input("mirrorCopyMode", "sync"), "mirrorCopyMode",
                "mirrorCopyMode: expected 'background', 'write-blocking' or 'auto', got 'sync'");
        assertRefused(input("maxDowntimeMs", -1), "maxDowntimeMs",
                "maxDowntimeMs: expected 0 (QEMU's own limit) or a number of milliseconds up to 2000000, got -1");
        assertRefused(input("maxDowntimeMs", 2.5), "maxDowntimeMs",
                "maxDowntimeMs: expected a whole number of milliseconds, got 2.5");
        assertRefused(input("autoConverge", "yes"), "autoConverge", "autoConverge: expected true or false, got 'yes'");
        assertRefused(input("stallTimeoutSeconds", 1), "stallTimeoutSeconds",
                "stallTimeoutSeconds: expected a number of seconds from 5 to 86400, got 1");
        assertRefused(input("stallTimeoutSeconds", "long"), "stallTimeoutSeconds",
                "stallTimeoutSeconds: expected a number of seconds, got 'long'");
        assertRefused(input("requireTls", "true"), "requireTls", "requireTls: expected true or false, got 'true'");
    }

    @Test
    void aLookupWorksLikeAMap() {
        Map<String, Object> input = input("bandwidthMiBps", 3L);
        assertThat(MigrationRequest.parse(input::get)).isEqualTo(MigrationRequest.parse(input));
    }

    @Test
    void domainAndDestinationMustBeText() {
        Map<String, Object> noDomain = input();
        noDomain.remove("domain");
        assertRefused(noDomain, "domain", "domain: required (a string), got nothing");
        assertRefused(input("domain", "  "), "domain", "domain: required (a string), got '  '");
        assertRefused(input("destinationHost", 7), "destinationHost", "destinationHost: required (a string), got '7'");
    }

    @Test
    void badValuesAreRefusedNamingTheirField() {
        assertRefused(input("copyStorage", "bogus"), "copyStorage",
                "copyStorage: expected 'all' or 'inc', got 'bogus'");
        assertRefused(input("bandwidthMiBps", "fast"), "bandwidthMiBps",
                "bandwidthMiBps: expected a number of MiB/s, got 'fast'");
        assertRefused(input("tunnelled", "yes"), "tunnelled", "tunnelled: expected true or false, got 'yes'");
        assertRefused(input("approveSwitchover", 1), "approveSwitchover",
                "approveSwitchover: expected true or false, got '1'");
        assertRefused(input("keepSourceDisks", "true"), "keepSourceDisks",
                "keepSourceDisks: expected true or false, got 'true'");
    }

    @Test
    void bandwidthMustFitQemusInt64InBytes() {
        assertRefused(input("bandwidthMiBps", -1L), "bandwidthMiBps",
                "bandwidthMiBps: expected 0 (no limit) or a number of MiB/s up to 1048576, got -1");
        assertRefused(input("bandwidthMiBps", Long.MAX_VALUE / 1024), "bandwidthMiBps",
                "bandwidthMiBps: expected 0 (no limit) or a number of MiB/s up to 1048576, got "
                        + Long.MAX_VALUE / 1024);
        assertThat(MigrationRequest.parse(input("bandwidthMiBps", 1L << 20)).bandwidthBytesPerSecond())
                .isEqualTo(1L << 40);
    }

    @Test
    void theFirstFaultInTheFieldOrderIsReported() {
        // domain, destinationHost, copyStorage, migrateDisks, bandwidthMiBps, tunnelled, approveSwitchover, ...
        assertRefused(input("destinationHost", null, "copyStorage", "x"), "destinationHost",
                "destinationHost: required (a string), got nothing");
        assertRefused(input("copyStorage", "x", "tunnelled", "x"), "copyStorage",
                "copyStorage: expected 'all' or 'inc', got 'x'");
        assertRefused(input("bandwidthMiBps", -1L, "tunnelled", "x"), "bandwidthMiBps",
                "bandwidthMiBps: expected 0 (no limit) or a number of MiB/s up to 1048576, got -1");
        assertRefused(input("tunnelled", "x", "stallTimeoutSeconds", 0), "tunnelled",
                "tunnelled: expected true or false, got 'x'");
    }

    @Test
    void lengthsAndFractionsAreRefusedAndLongValuesAreNotEchoedInFull() {
        assertRefusedWith(input("domain", "d".repeat(300)), "domain",
                "domain: '" + "d".repeat(64) + "...' (300 characters) is not a domain name");
        assertRefusedWith(input("domain", "../etc"), "domain", "domain: '../etc' is not a domain name");
        assertRefusedWith(input("destinationHost", "h".repeat(5000)), "destinationHost",
                "destinationHost: '" + "h".repeat(64) + "...' (5000 characters) is longer than a host name");
        assertRefusedWith(input("migrateDisks", "vda,".repeat(1000)), "migrateDisks", "is longer than 1024 characters");
        assertRefusedWith(input("copyStorage", "a".repeat(100)), "copyStorage", "is longer than 16 characters");
        assertRefusedWith(input("bandwidthMiBps", 1.5), "bandwidthMiBps",
                "bandwidthMiBps: expected a whole number of MiB/s, got 1.5");
        assertRefusedWith(input("bandwidthMiBps", new java.math.BigDecimal("2.25")), "bandwidthMiBps", "got 2.25");
        assertRefusedWith(input("tunnelled", "y".repeat(10_000)), "tunnelled", "(10000 characters)");
        assertThat(MigrationRequest.parse(input("bandwidthMiBps", 8.0)).bandwidthMiBps()).isEqualTo(8);
    }
}
