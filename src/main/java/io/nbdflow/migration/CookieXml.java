package io.nbdflow.migration;

import io.nbdflow.host.DiskNames;
import io.nbdflow.migration.MigrationCookie.Nbd;
import io.nbdflow.migration.MigrationCookie.NbdDisk;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Writes and reads the libvirt-compatible migration cookie ({@code <qemu-migration>}).
 * Only name, uuid, hostname and nbd are used; libvirt's other elements are ignored.
 */
public final class CookieXml {

    static final int MAX_BYTES = 64 * 1024;
    static final String NO_DOCTYPE = "cookie: DOCTYPE and entities are not allowed";

    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    private CookieXml() {
    }

    public static String write(MigrationCookie cookie) {
        StringBuilder out = new StringBuilder("<qemu-migration>\n");
        element(out, "name", cookie.name());
        if (cookie.uuid() != null) {
            element(out, "uuid", cookie.uuid());
        }
        if (cookie.hostname() != null) {
            element(out, "hostname", cookie.hostname());
        }
        Nbd nbd = cookie.nbd();
        if (nbd != null) {
            out.append("  <nbd");
            if (nbd.port() != null) {
                out.append(" port='").append(nbd.port()).append('\'');
            }
            if (nbd.disks().isEmpty()) {
                out.append("/>\n");
            } else {
                out.append(">\n");
                for (NbdDisk disk : nbd.disks()) {
                    if (!DiskNames.isForeignTarget(disk.target())) {
                        throw new CookieException("cookie: '" + disk.target() + "' is not a disk target");
                    }
                    out.append("    <disk target='").append(escape(disk.target()))
                            .append("' size='").append(disk.size()).append("'/>\n");
                }
                out.append("  </nbd>\n");
            }
        }
        return out.append("</qemu-migration>\n").toString();
    }

    public static MigrationCookie parse(String xml) {
        if (xml == null || xml.isBlank()) {
            throw new CookieException("cookie: empty");
        }
        int bytes = xml.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new CookieException("cookie: " + bytes + " bytes, more than the 64 KiB allowed");
        }
        // The parser refuses these too; checking first gives one clear message for every variant.
        if (xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY")) {
            throw new CookieException(NO_DOCTYPE);
        }
        Element root = parseDocument(xml).getDocumentElement();
        if (!"qemu-migration".equals(root.getTagName())) {
            throw new CookieException("cookie: root element is <" + root.getTagName()
                    + ">, expected <qemu-migration>");
        }
        Element name = single(root, "name");
        String nameText = name == null ? "" : name.getTextContent().strip();
        if (nameText.isEmpty()) {
            throw new CookieException("cookie: <name> is required");
        }
        return new MigrationCookie(nameText, text(single(root, "uuid")),
                text(single(root, "hostname")), nbd(single(root, "nbd")));
    }

    private static Nbd nbd(Element nbd) {
        if (nbd == null) {
            return null;
        }
        Integer port = null;
        if (nbd.hasAttribute("port")) {
            long value = number("nbd/@port", nbd.getAttribute("port"));
            if (value < 1 || value > 65535) {
                throw new CookieException("cookie: nbd/@port: '" + nbd.getAttribute("port")
                        + "' is not a port (1-65535)");
            }
            port = (int) value;
        }
        List<NbdDisk> disks = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Element disk : children(nbd, "disk")) {
            String target = disk.getAttribute("target");
            // targets end up in QMP arguments and file names: letters and digits only (vda, sdb, hdc, xvda)
            if (!DiskNames.isForeignTarget(target)) {
                throw new CookieException("cookie: nbd/disk/@target: '" + target
                        + "' is not a disk target");
            }
            if (!seen.add(target)) {
                throw new CookieException("cookie: nbd/disk[@target='" + target + "'] appears twice");
            }
            String path = "nbd/disk[@target='" + target + "']";
            // This project writes size=, libvirt writes capacity=: both are read.
            String attribute = disk.hasAttribute("size") ? "size"
                    : disk.hasAttribute("capacity") ? "capacity" : null;
            if (attribute == null) {
                throw new CookieException("cookie: " + path + ": size (or capacity) is required");
            }
            disks.add(new NbdDisk(target, number(path + "/@" + attribute, disk.getAttribute(attribute))));
        }
        return new Nbd(port, disks);
    }

    private static long number(String where, String value) {
        if (DIGITS.matcher(value).matches()) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException tooLarge) {
                // falls through to the same message
            }
        }
        throw new CookieException("cookie: " + where + ": '" + value + "' is not a non-negative integer");
    }

    // Package-private so a test can prove the parser itself refuses what the text check catches first.
    static Document parseDocument(String xml) {
        try {
            DocumentBuilder builder = hardenedFactory().newDocumentBuilder();
            builder.setErrorHandler(THROWING);
            return builder.parse(new InputSource(new StringReader(xml)));
        } catch (SAXException e) {
            String message = e.getMessage() == null ? "" : e.getMessage();
            if (message.contains("DOCTYPE") || message.contains("ENTITY")) {
                throw new CookieException(NO_DOCTYPE, e);
            }
            throw new CookieException("cookie: not well-formed XML: " + message, e);
        } catch (IOException | ParserConfigurationException e) {
            throw new CookieException("cookie: cannot be read: " + e.getMessage(), e);
        }
    }

    /** A DOM parser that neither reads a DTD nor expands any entity (XXE, billion laughs). */
    private static DocumentBuilderFactory hardenedFactory() throws ParserConfigurationException {
        // The JDK's own parser, whatever else is on the class path.
        DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
        factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        factory.setXIncludeAware(false);
        factory.setExpandEntityReferences(false);
        factory.setNamespaceAware(false);
        factory.setValidating(false);
        return factory;
    }

    // The default handler prints "[Fatal Error]" to stderr before throwing.
    private static final ErrorHandler THROWING = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };

    private static Element single(Element parent, String tag) {
        List<Element> found = children(parent, tag);
        if (found.size() > 1) {
            throw new CookieException("cookie: more than one <" + tag + ">");
        }
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<Element> children(Element parent, String tag) {
        List<Element> found = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && tag.equals(e.getTagName())) {
                found.add(e);
            }
        }
        return found;
    }

    private static String text(Element element) {
        if (element == null) {
            return null;
        }
        String text = element.getTextContent().strip();
        return text.isEmpty() ? null : text;
    }

    private static void element(StringBuilder out, String tag, String text) {
        out.append("  <").append(tag).append('>').append(escape(text))
                .append("</").append(tag).append(">\n");
    }

    /** Escapes for text and for attributes in either quote style. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '\'' -> out.append("&apos;");
                case '"' -> out.append("&quot;");
                default -> {
                    // XML 1.0 cannot carry other control characters, not even escaped.
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        throw new CookieException("cookie: control character U+"
                                + String.format("%04X", (int) c) + " cannot be written");
                    }
                    out.append(c);
                }
            }
        }
        return out.toString();
    }
}
