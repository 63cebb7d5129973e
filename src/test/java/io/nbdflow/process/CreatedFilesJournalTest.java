package io.nbdflow.process;

import io.nbdflow.config.PortRange;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostConnection;
import io.nbdflow.host.Hosts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CreatedFilesJournalTest {

    @TempDir
    Path root;

    @Test
    void theFolderGoesWithTheLastJournalInIt() throws Exception {
        Host host = new Host("host-b", InetAddress.getLoopbackAddress(), root.resolve("state"), root.resolve("images"));
        HostConnection connection = new Hosts(List.of(host), new PortRange(49152, 49153)).connection(host);
        Path folder = host.stateDir().resolve(".nbdflow-created");
        CreatedFilesJournal first = new CreatedFilesJournal(connection, "m1");
        CreatedFilesJournal second = new CreatedFilesJournal(connection, "m2");

        first.add(Path.of("/b/one.qcow2"));
        second.add(Path.of("/b/two.qcow2"));
        first.delete();
        assertThat(folder).as("another migration's journal is still there").isDirectory();
        assertThat(second.files()).containsExactly(Path.of("/b/two.qcow2"));

        second.delete();
        assertThat(folder).as("no empty folder left").doesNotExist();
        assertThat(host.stateDir()).isDirectory();
        first.delete(); // nothing left to delete: still fine
        assertThat(first.files()).isEmpty();
    }
}
