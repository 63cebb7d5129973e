package io.nbdflow.migration;

import io.nbdflow.host.Accelerator;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostQemu;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MachineCompatibilityTest {
    private final Host a = host("host-a", Accelerator.AUTO);
    private final Host b = host("host-b", Accelerator.TCG);
    private final HostQemu qemu72 = new HostQemu("7.2.22", Set.of(), true, Set.of("pc", "pc-i440fx-7.2", "pc-i440fx-7.1"),
            "pc-i440fx-7.2");

    private static Host host(String name, Accelerator accelerator) {
        return new Host(name, InetAddress.getLoopbackAddress(), Path.of("/s"), Path.of("/i"), List.of(), List.of(),
                null, accelerator);
    }

    @Test
    void theSameTypeAndAcceleratorPass() {
        assertThatCode(() -> MachineCompatibility.require(a, "pc-i440fx-7.1", Accelerator.KVM, b, qemu72,
                Accelerator.KVM)).doesNotThrowAnyException();
    }

    @Test
    void aTypeTheDestinationLacksIsRefusedNamingBothHostsAndTheType() {
        assertThatThrownBy(() -> MachineCompatibility.require(a, "pc-i440fx-8.0", Accelerator.KVM, b, qemu72,
                Accelerator.KVM))
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo(MigrationRequest.DESTINATION_HOST))
                .hasMessage("destinationHost: the domain runs machine type 'pc-i440fx-8.0' on host 'host-a', which "
                        + "the QEMU of host 'host-b' (7.2.22) lacks");
    }

    @Test
    void mixedAcceleratorsAreRefusedEitherWay() {
        assertThatThrownBy(() -> MachineCompatibility.require(a, "pc-i440fx-7.2", Accelerator.KVM, b, qemu72,
                Accelerator.TCG))
                .hasMessageContaining("runs with kvm on host 'host-a'")
                .hasMessageContaining("host 'host-b' would run it with tcg (accelerator tcg configured there)");
        assertThatThrownBy(() -> MachineCompatibility.require(a, "pc-i440fx-7.2", Accelerator.TCG, b, qemu72,
                Accelerator.KVM))
                .hasMessageContaining("runs with tcg on host 'host-a'")
                .hasMessageContaining("would run it with kvm");
    }

    @Test
    void aDestinationConfiguredForKvmItLacksIsRefused() {
        assertThatThrownBy(() -> MachineCompatibility.require(a, "pc-i440fx-7.2", Accelerator.KVM, b, qemu72, null))
                .hasMessageContaining("host 'host-b' is configured with accelerator kvm, but its QEMU gets no KVM");
    }

    @Test
    void autoIsKvmWhereItWorksAndAConfiguredKvmWithoutItIsNothing() {
        HostQemu noKvm = new HostQemu("7.2.22", Set.of(), false, Set.of("pc"), "pc");
        assertThat(qemu72.effective(Accelerator.AUTO)).contains(Accelerator.KVM);
        assertThat(noKvm.effective(Accelerator.AUTO)).contains(Accelerator.TCG);
        assertThat(qemu72.effective(Accelerator.TCG)).contains(Accelerator.TCG);
        assertThat(noKvm.effective(Accelerator.KVM)).isEmpty();
    }
}
