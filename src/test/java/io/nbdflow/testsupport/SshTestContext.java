package io.nbdflow.testsupport;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@link NbdflowTestContext} with hosts that are other machines: host-a, host-b and host-c are the
 * {@link TestNetwork}'s hosts a, b and c, reached over SSH, their state and storage folders in a
 * folder of this context's own below each host's private data folder. Everything else (database,
 * engine, users, the local test root for what a test keeps on this machine) is as in the base.
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
        return properties(root, datasourceUrl);
    }

    @Override
    protected void cleanUp(Path root) {
        for (String[] h : HOSTS) {
            TestHost host = TestNetwork.shared().host(h[1]);
            Path onHost = hostFolder(root, h[1]);
            QemuReaper.killAllBelow(host.outside(onHost));
            deleteTree(host.outside(onHost));
        }
        super.cleanUp(root);
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
        }
        return p;
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
