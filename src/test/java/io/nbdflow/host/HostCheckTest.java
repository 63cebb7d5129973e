package io.nbdflow.host;

import io.nbdflow.config.PortRange;
import io.nbdflow.qmp.QmpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The report of each host: a failing host is reported with its reason and does not hide the others. */
class HostCheckTest {

    @TempDir
    Path dir;

    private Host host(String name, Accelerator accelerator) {
        return new Host(name, InetAddress.getLoopbackAddress(), dir.resolve(name).resolve("state"),
                dir.resolve(name).resolve("images"), List.of(), List.of(), null, accelerator);
    }

    @Test
    void eachHostIsReportedWhateverTheOthersDo() throws Exception {
        Host good = host("good", Accelerator.AUTO);
        Host gone = host("gone", Accelerator.AUTO);
        Host noKvm = host("nokvm", Accelerator.KVM);
        Host noQemu = host("noqemu", Accelerator.TCG);
        for (Host h : List.of(good, gone, noKvm, noQemu)) {
            java.nio.file.Files.createDirectories(h.storageDir());
        }
        Hosts hosts = new Hosts(List.of(good, gone, noKvm, noQemu), new PortRange(49152, 49152)) {
            @Override
            public HostConnection connection(Host host) {
                if (host.name().equals("gone")) {
                    throw new StorageException("cannot connect to host 'gone': Connection refused");
                }
                return super.connection(host);
            }
        };
        HostQemu qemu = new HostQemu("7.2.22", Set.of("query-kvm"), false, Set.of("pc", "pc-i440fx-7.2"),
                "pc-i440fx-7.2");
        CapabilityProbe probe = new CapabilityProbe() {
            @Override
            public Set<String> sourceCommands(QmpClient sourceMonitor) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Set<String> destinationCommands(Host destination) {
                return hostQemu(destination).commands();
            }

            @Override
            public HostQemu hostQemu(Host host) {
                if (host.name().equals("noqemu")) {
                    throw new IllegalStateException("cannot run qemu-system-x86_64 on noqemu: not found");
                }
                return qemu;
            }
        };

        List<HostReport> reports = new HostCheck(hosts, probe).all();

        assertThat(reports).extracting(HostReport::name).containsExactly("good", "gone", "nokvm", "noqemu");
        HostReport g = reports.get(0);
        assertThat(g.reachable()).isTrue();
        assertThat(g.error()).isNull();
        assertThat(g.acceleratorConfigured()).isEqualTo("auto");
        assertThat(g.acceleratorEffective()).as("AUTO without KVM").isEqualTo("tcg");
        assertThat(g.defaultMachineType()).isEqualTo("pc-i440fx-7.2");
        assertThat(g.machineTypes()).isEqualTo(2);
        assertThat(g.storageFreeBytes()).isPositive();
        assertThat(g.hostKeyFingerprint()).isEmpty();

        HostReport unreachable = reports.get(1);
        assertThat(unreachable.reachable()).isFalse();
        assertThat(unreachable.error()).contains("Connection refused");
        assertThat(unreachable.qemuVersion()).isNull();

        HostReport kvmMissing = reports.get(2);
        assertThat(kvmMissing.reachable()).isTrue();
        assertThat(kvmMissing.acceleratorEffective()).isNull();
        assertThat(kvmMissing.error()).contains("kvm is configured", "not usable");

        HostReport qemuMissing = reports.get(3);
        assertThat(qemuMissing.reachable()).isTrue();
        assertThat(qemuMissing.error()).startsWith("QEMU: ").contains("not found");
        assertThat(qemuMissing.storageFreeBytes()).isPositive();
    }
}
