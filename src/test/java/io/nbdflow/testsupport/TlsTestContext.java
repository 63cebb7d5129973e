package io.nbdflow.testsupport;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@link NbdflowTestContext} whose hosts carry TLS credentials of a CA made for the context
 * ({@link TestPki}): host-a (127.0.0.1) and host-b (address-b) with certificates of that CA;
 * host-c (address-b too) without TLS; host-d (address-b too) with a certificate and CA of a
 * foreign authority, which host-a does not trust; host-e (address-b too) with a certificate of
 * the context's CA.
 */
public class TlsTestContext extends NbdflowTestContext {

    @Override
    protected Map<String, String> contextProperties(Path root, String datasourceUrl) {
        Map<String, String> p = properties(root, datasourceUrl);
        String addressA = p.get("nbdflow.hosts[0].address");
        String addressB = p.get("nbdflow.hosts[1].address");
        TestPki pki = TestPki.create(root.resolve("pki"), "nbdflow test CA").issue("a", addressA).issue("b", addressB)
                .issue("e", addressB);
        TestPki foreign = TestPki.create(root.resolve("pki-foreign"), "foreign CA").issue("d", addressB);
        p.putAll(TestPki.hostProperties(0, pki.ca(), pki.cert("a"), pki.key("a")));
        p.putAll(TestPki.hostProperties(1, pki.ca(), pki.cert("b"), pki.key("b")));
        addHost(p, root, 2, "host-c", "c", addressB);
        addHost(p, root, 3, "host-d", "d", addressB);
        p.putAll(TestPki.hostProperties(3, foreign.ca(), foreign.cert("d"), foreign.key("d")));
        addHost(p, root, 4, "host-e", "e", addressB);
        p.putAll(TestPki.hostProperties(4, pki.ca(), pki.cert("e"), pki.key("e")));
        return p;
    }

    private static void addHost(Map<String, String> p, Path root, int index, String name, String folder,
                                String address) {
        String prefix = "nbdflow.hosts[" + index + "].";
        p.put(prefix + "name", name);
        p.put(prefix + "address", address);
        p.put(prefix + "state-dir", root.resolve(folder).resolve("state").toString());
        p.put(prefix + "storage-dir", root.resolve(folder).resolve("images").toString());
    }
}
