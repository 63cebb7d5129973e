package io.nbdflow.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbdflow.migration.MigrationCookie.Nbd;
import io.nbdflow.migration.MigrationCookie.NbdDisk;

import java.util.List;
import org.junit.jupiter.api.Test;

class CookieXmlTest {

    private static final String UUID = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0";

    @Test
    void sourceCookieIsWrittenInLibvirtsFormAndReadBack() {
        MigrationCookie cookie = new MigrationCookie("web1", UUID, "host-a",
                new Nbd(null, List.of(new NbdDisk("vda", 15032385536L), new NbdDisk("vdb", 1048576))));

        String xml = CookieXml.write(cookie);

        assertThat(xml).isEqualTo("""
                <qemu-migration>
                  <name>web1</name>
                  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
                  <hostname>host-a</hostname>
                  <nbd>
                    <disk target='vda' size='15032385536'/>
                    <disk target='vdb' size='1048576'/>
                  </nbd>
                </qemu-migration>
                """);
        assertThat(CookieXml.parse(xml)).isEqualTo(cookie);
    }

    @Test
    void destinationCookieCarriesThePortAndNoDisks() {
        MigrationCookie cookie = new MigrationCookie("web1", UUID, "host-b", new Nbd(49153, List.of()));

        String xml = CookieXml.write(cookie);

        assertThat(xml).contains("  <nbd port='49153'/>\n").doesNotContain("<disk");
        MigrationCookie parsed = CookieXml.parse(xml);
        assertThat(parsed).isEqualTo(cookie);
        assertThat(parsed.nbd().port()).isEqualTo(49153);
        assertThat(parsed.nbd().disks()).isEmpty();
    }

    @Test
    void noNbdElementMeansNoCapability() {
        MigrationCookie cookie = new MigrationCookie("web1", UUID, "host-b", null);

        String xml = CookieXml.write(cookie);

        assertThat(xml).doesNotContain("nbd");
        assertThat(CookieXml.parse(xml).nbd()).isNull();
    }

    @Test
    void libvirtsExampleIsRead() {
        MigrationCookie cookie = CookieXml.parse("""
                <qemu-migration>
                  <name>web1</name>
                  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
                  <hostname>host-a</hostname>
                  <nbd>
                    <disk target='vda' size='15032385536'/>
                  </nbd>
                </qemu-migration>
                """);

        assertThat(cookie).isEqualTo(new MigrationCookie("web1", UUID, "host-a",
                new Nbd(null, List.of(new NbdDisk("vda", 15032385536L)))));
    }

    @Test
    void textAndAttributesAreEscaped() {
        MigrationCookie cookie = new MigrationCookie("a<b>&'c\"", UUID, "host'<&>\"", null);

        String xml = CookieXml.write(cookie);

        assertThat(xml).contains("<name>a&lt;b&gt;&amp;&apos;c&quot;</name>");
        assertThat(CookieXml.parse(xml)).isEqualTo(cookie);
    }

    @Test
    void libvirtCookieWithOtherElementsAndCapacityIsRead() {
        MigrationCookie cookie = CookieXml.parse("""
                <qemu-migration>
                  <name>web1</name>
                  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
                  <hostname>host-a.example.org</hostname>
                  <hostuuid>a6a0b3c8-6b5e-4d5b-9e54-0d1f3c7a8f11</hostuuid>
                  <feature name='lockstate'/>
                  <feature name='nbd'/>
                  <graphics type='vnc' port='5900' listen='0.0.0.0'/>
                  <lockstate driver='sanlock'>
                    <leases>f00:/var/lib/sanlock/f00:0</leases>
                  </lockstate>
                  <persistent>
                    <domain type='kvm'><name>web1</name><memory unit='KiB'>131072</memory></domain>
                  </persistent>
                  <nbd>
                    <disk target='vda' capacity='15032385536'/>
                    <disk target='sdb' capacity='0'/>
                  </nbd>
                  <statistics>
                    <started>1700000000000</started>
                    <downtime>15</downtime>
                  </statistics>
                  <capabilities>
                    <cap name='xbzrle' auto='no'/>
                  </capabilities>
                </qemu-migration>
                """);

        assertThat(cookie).isEqualTo(new MigrationCookie("web1", UUID, "host-a.example.org",
                new Nbd(null, List.of(new NbdDisk("vda", 15032385536L), new NbdDisk("sdb", 0)))));
    }

    @Test
    void externalEntityIsRejected() {
        String xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE qemu-migration [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
                <qemu-migration><name>&xxe;</name></qemu-migration>
                """;

        assertThatThrownBy(() -> CookieXml.parse(xxe))
                .isInstanceOf(CookieException.class)
                .hasMessage("cookie: DOCTYPE and entities are not allowed");
        // The parser alone refuses it as well, without the text check in front.
        assertThatThrownBy(() -> CookieXml.parseDocument(xxe))
                .isInstanceOf(CookieException.class)
                .hasMessage("cookie: DOCTYPE and entities are not allowed");
    }

    @Test
    void externalParameterEntityIsRejected() {
        String xxe = """
                <!DOCTYPE qemu-migration [<!ENTITY % p SYSTEM "http://127.0.0.1:1/evil.dtd"> %p;]>
                <qemu-migration><name>web1</name></qemu-migration>
                """;

        assertThatThrownBy(() -> CookieXml.parse(xxe)).hasMessage(CookieXml.NO_DOCTYPE);
        assertThatThrownBy(() -> CookieXml.parseDocument(xxe)).hasMessage(CookieXml.NO_DOCTYPE);
    }

    @Test
    void billionLaughsIsRejected() {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                + " <!ENTITY lol \"lol\">\n");
        for (int i = 1; i <= 9; i++) {
            xml.append(" <!ENTITY lol").append(i).append(" \"");
            String previous = i == 1 ? "lol" : "lol" + (i - 1);
            xml.append(("&" + previous + ";").repeat(10)).append("\">\n");
        }
        xml.append("]>\n<qemu-migration><name>&lol9;</name></qemu-migration>\n");

        assertThatThrownBy(() -> CookieXml.parse(xml.toString())).hasMessage(CookieXml.NO_DOCTYPE);
        assertThatThrownBy(() -> CookieXml.parseDocument(xml.toString())).hasMessage(CookieXml.NO_DOCTYPE);
    }

    @Test
    void undeclaredEntityIsMalformed() {
        assertThatThrownBy(() -> CookieXml.parse("<qemu-migration><name>&xxe;</name></qemu-migration>"))
                .isInstanceOf(CookieException.class)
                .hasMessageStartingWith("cookie: not well-formed XML:");
    }

    @Test
    void oversizedCookieIsRejected() {
        String padding = "<hostuuid>x</hostuuid>".repeat(3000);
        String xml = "<qemu-migration><name>web1</name>" + padding + "</qemu-migration>";

        assertThat(xml.length()).isGreaterThan(64 * 1024);
        assertThatThrownBy(() -> CookieXml.parse(xml))
                .isInstanceOf(CookieException.class)
                .hasMessageContaining("more than the 64 KiB allowed");
    }

    @Test
    void nameIsRequired() {
        assertThatThrownBy(() -> CookieXml.parse("<qemu-migration><uuid>" + UUID + "</uuid></qemu-migration>"))
                .hasMessage("cookie: <name> is required");
        assertThatThrownBy(() -> CookieXml.parse("<qemu-migration><name>  </name></qemu-migration>"))
                .hasMessage("cookie: <name> is required");
    }

    @Test
    void otherRootIsRejected() {
        assertThatThrownBy(() -> CookieXml.parse("<domain><name>web1</name></domain>"))
                .hasMessage("cookie: root element is <domain>, expected <qemu-migration>");
    }

    @Test
    void garbageIsRejected() {
        assertThatThrownBy(() -> CookieXml.parse("<qemu-migration><name>web1</qemu-migration>"))
                .isInstanceOf(CookieException.class)
                .hasMessageStartingWith("cookie: not well-formed XML:");
        assertThatThrownBy(() -> CookieXml.parse("")).hasMessage("cookie: empty");
    }

    @Test
    void badSizesAreRejectedNamingTheAttribute() {
        assertThatThrownBy(() -> CookieXml.parse(withDisk("<disk target='vda' size='abc'/>")))
                .hasMessage("cookie: nbd/disk[@target='vda']/@size: 'abc' is not a non-negative integer");
        assertThatThrownBy(() -> CookieXml.parse(withDisk("<disk target='vda' size='-1'/>")))
                .hasMessage("cookie: nbd/disk[@target='vda']/@size: '-1' is not a non-negative integer");
        assertThatThrownBy(() -> CookieXml.parse(withDisk("<disk target='vdb' capacity='9223372036854775808'/>")))
                .hasMessage("cookie: nbd/disk[@target='vdb']/@capacity: '9223372036854775808'"
                        + " is not a non-negative integer");
        assertThatThrownBy(() -> CookieXml.parse(withDisk("<disk target='vda'/>")))
                .hasMessage("cookie: nbd/disk[@target='vda']: size (or capacity) is required");
    }

    @Test
    void largestSizeIsAccepted() {
        MigrationCookie cookie = CookieXml.parse(withDisk("<disk target='vda' size='9223372036854775807'/>"));

        assertThat(cookie.nbd().disks()).containsExactly(new NbdDisk("vda", Long.MAX_VALUE));
    }

    @Test
    void badTargetsAreRejected() {
        assertThatThrownBy(() -> CookieXml.parse(withDisk("<disk target='../etc' size='1'/>")))
                .hasMessage("cookie: nbd/disk/@target: '../etc' is not a disk target");
        assertThatThrownBy(() -> CookieXml.parse(withDisk("<disk size='1'/>")))
                .hasMessage("cookie: nbd/disk/@target: '' is not a disk target");
        assertThatThrownBy(() -> CookieXml.parse(withDisk("<disk target='vda' size='1'/><disk target='vda' size='2'/>")))
                .hasMessage("cookie: nbd/disk[@target='vda'] appears twice");
    }

    @Test
    void portMustBeInRange() {
        assertThatThrownBy(() -> CookieXml.parse(withPort("0")))
                .hasMessage("cookie: nbd/@port: '0' is not a port (1-65535)");
        assertThatThrownBy(() -> CookieXml.parse(withPort("70000")))
                .hasMessage("cookie: nbd/@port: '70000' is not a port (1-65535)");
        assertThatThrownBy(() -> CookieXml.parse(withPort("x1")))
                .hasMessage("cookie: nbd/@port: 'x1' is not a non-negative integer");
        assertThat(CookieXml.parse(withPort("65535")).nbd().port()).isEqualTo(65535);
        assertThat(CookieXml.parse(withPort("1")).nbd().port()).isEqualTo(1);
    }

    @Test
    void controlCharactersCannotBeWritten() {
        assertThatThrownBy(() -> CookieXml.write(new MigrationCookie("web\u0001", null, null, null)))
                .isInstanceOf(CookieException.class)
                .hasMessage("cookie: control character U+0001 cannot be written");
    }

    private static String withDisk(String disks) {
        return "<qemu-migration><name>web1</name><nbd>" + disks + "</nbd></qemu-migration>";
    }

    private static String withPort(String port) {
        return "<qemu-migration><name>web1</name><nbd port='" + port + "'/></qemu-migration>";
    }
}
