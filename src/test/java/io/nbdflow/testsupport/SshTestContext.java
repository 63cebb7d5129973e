package io.nbdflow.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@link NbdflowTestContext} with hosts that are other machines: host-a, host-b and host-c are the
 * {@link TestNetwork}'s hosts a, b and c, reached over SSH, their state and storage folders in a
 * folder of this context's own below each host's private data folder. Everything else (database,
 * engine, users, the local test root for what a test keeps on this machine) is as in the base.
 * Besides, every host sees one folder of shared storage ({@link #sharedFolder}), as hosts see an
 * NFS share: the place for a disk that stays where it is, or a backing file both hosts read.
 * <p>
 * Use it on a test class with
 * {@code @ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)};
 * a test reaches a host's files only through {@link SpringQemuTest#seen}.
 */
public class SshTestContext extends NbdflowTestContext {

    /** The test hosts behind host-a, host-b, host-c, in that order. */
    private static final String[][] HOSTS = {{"host-a", "a"}, {"host-b", "b"}, {"host-c", "c"}};

    @Override
    protected Map<String, String> contextProperties(Path root, String datasourceUrl) {
        share(root);
        return properties(root, datasourceUrl);
    }

    @Override
    protected void cleanUp(Path root) {
        unshare(root);
        removeHostFolders(root);
        super.cleanUp(root);
    }

    /** The QEMUs in the context's folders on the test hosts killed, the folders gone (for contexts built by hand). */
    public static void removeHostFolders(Path root) {
        for (String[] h : HOSTS) {
            TestHost host = TestNetwork.shared().host(h[1]);
            Path onHost = hostFolder(root, h[1]);
            QemuReaper.killAllBelow(host.outside(onHost));
            deleteTree(host.outside(onHost));
        }
    }

    /**
     * The properties of a context living in root (its name also names its folders on the hosts),
     * with host-a, host-b, host-c over SSH: for tests that build an application by hand.
     */
    public static Map<String, String> properties(Path root, String datasourceUrl) {
        Map<String, String> p = NbdflowTestContext.properties(root, datasourceUrl);
        p.keySet().removeIf(k -> k.startsWith("nbdflow.hosts["));
        TestNetwork net = TestNetwork.shared();
        for (int i = 0; i < HOSTS.length; i++) {
            TestHost host = net.host(HOSTS[i][1]);
            Path dir = hostFolder(root, HOSTS[i][1]);
            p.putAll(net.hostProperties(i, HOSTS[i][0], host, dir.resolve("state"), dir.resolve("images")));
            // disks may lie in the host's storage folder or in the context's folder of source images
            p.put("nbdflow.hosts[" + i + "].image-dirs[0]", dir.resolve("images").toString());
            p.put("nbdflow.hosts[" + i + "].image-dirs[1]", dir.resolve(SOURCE_IMAGES).toString());
            p.put("nbdflow.hosts[" + i + "].image-dirs[2]", sharedFolder(root).toString());
        }
        p.put(SHARED_PROPERTY, sharedFolder(root).toString());
        return p;
    }

    /**
     * The context's shared storage: the same folder on every test host, at a path below their
     * private data folders that does not exist on this machine (so nothing but the hosts reaches
     * it by that path). It is this machine's root/shared, bind-mounted into each host by
     * {@link #share}.
     */
    public static Path sharedFolder(Path root) {
        return TestHost.DATA_DIR.resolve(root.getFileName().toString()).resolve("shared");
    }

    /**
     * Mounts the context's {@link #sharedFolder} on every test host (for contexts built by hand;
     * the initializer does it itself).
     */
    public static void share(Path root) {
        try {
            Files.createDirectories(root.resolve("shared"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String[] h : HOSTS) {
            TestNetwork.shared().host(h[1]).mountShared(root.resolve("shared"), sharedFolder(root));
        }
    }

    /** Unmounts what {@link #share} mounted; the files stay in root/shared until root goes. */
    public static void unshare(Path root) {
        for (String[] h : HOSTS) {
            TestNetwork.shared().host(h[1]).unmountShared(sharedFolder(root));
        }
    }

    /** This context's folder on a test host: /var/lib/nbdflow/&lt;root's name&gt;/&lt;host&gt;. */
    public static Path hostFolder(Path root, String testHost) {
        return TestHost.DATA_DIR.resolve(root.getFileName().toString()).resolve(testHost);
    }

    /** The test host behind a configured host's address, or null for this machine's hosts. */
    public static TestHost testHost(java.net.InetAddress address) {
        return TestNetwork.shared().hosts().stream().filter(h -> h.address().equals(address)).findFirst()
                .orElse(null);
    }
}
