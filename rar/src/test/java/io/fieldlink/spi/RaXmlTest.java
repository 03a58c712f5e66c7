package io.fieldlink.spi;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One source of truth for configuration: ra.xml declares exactly the JavaBean properties of the
 * adapter and the managed connection factory, with their Java types and the defaults the code
 * starts from; docs/configuration.md documents each of them with the same default and description.
 */
class RaXmlTest {

    private static final Path RA_XML = Path.of("src/main/rar/META-INF/ra.xml");
    private static final Path CONFIG_DOC = Path.of("../docs/configuration.md");

    private record Declared(String type, String value, String description) {
    }

    private static Map<String, Declared> declared(Element parent) {
        Map<String, Declared> props = new LinkedHashMap<>();
        NodeList list = parent.getChildNodes();
        for (int i = 0; i < list.getLength(); i++) {
            if (list.item(i) instanceof Element e && e.getLocalName().equals("config-property")) {
                props.put(text(e, "config-property-name"), new Declared(text(e, "config-property-type"),
                        text(e, "config-property-value"), text(e, "description")));
            }
        }
        return props;
    }

    private static String text(Element e, String child) {
        NodeList n = e.getElementsByTagNameNS("*", child);
        return n.getLength() == 0 ? null : n.item(0).getTextContent().trim();
    }

    private static Map<String, Object> beanDefaults(Object bean, Set<String> ignored) throws Exception {
        Map<String, Object> defaults = new TreeMap<>();
        for (PropertyDescriptor pd : Introspector.getBeanInfo(bean.getClass(), Object.class).getPropertyDescriptors()) {
            if (pd.getWriteMethod() != null && pd.getReadMethod() != null && !ignored.contains(pd.getName())) {
                defaults.put(pd.getName(), pd.getReadMethod().invoke(bean));
                assertThat(pd.getPropertyType().getName()).as(pd.getName() + " type").startsWith("java.lang.");
            }
        }
        return defaults;
    }

    private static void assertMatches(Map<String, Declared> declared, Object bean, Set<String> ignored) throws Exception {
        Map<String, Object> defaults = beanDefaults(bean, ignored);
        assertThat(declared.keySet()).containsExactlyInAnyOrderElementsOf(defaults.keySet());
        for (PropertyDescriptor pd : Introspector.getBeanInfo(bean.getClass(), Object.class).getPropertyDescriptors()) {
            Declared d = declared.get(pd.getName());
            if (d == null) {
                continue;
            }
            assertThat(d.type()).as(pd.getName() + " type").isEqualTo(pd.getPropertyType().getName());
            assertThat(d.value()).as(pd.getName() + " default").isEqualTo(String.valueOf(defaults.get(pd.getName())));
            assertThat(d.description()).as(pd.getName() + " description").isNotBlank();
        }
    }

    private static Document raXml() throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        return dbf.newDocumentBuilder().parse(RA_XML.toFile());
    }

    @Test
    void raXmlDeclaresEveryPropertyWithTheCodesTypeAndDefault() throws Exception {
        Document doc = raXml();
        Element ra = (Element) doc.getElementsByTagNameNS("*", "resourceadapter").item(0);
        Element cd = (Element) doc.getElementsByTagNameNS("*", "connection-definition").item(0);
        assertThat(text(ra, "resourceadapter-class")).isEqualTo(FieldLinkResourceAdapter.class.getName());
        assertThat(text(cd, "managedconnectionfactory-class")).isEqualTo(DeviceManagedConnectionFactory.class.getName());
        assertThat(text(cd, "connectionfactory-impl-class")).isEqualTo(DeviceConnectionFactoryImpl.class.getName());
        assertThat(text(cd, "connection-impl-class")).isEqualTo(DeviceConnectionHandle.class.getName());
        assertMatches(declared(ra), new FieldLinkResourceAdapter(), Set.of());
        assertMatches(declared(cd), new DeviceManagedConnectionFactory(), Set.of("resourceAdapter", "logWriter"));
    }

    @Test
    void theConfigurationReferenceDocumentsEveryPropertyWithItsDefault() throws Exception {
        String doc = Files.readString(CONFIG_DOC);
        Document xml = raXml();
        NodeList props = xml.getElementsByTagNameNS("*", "config-property");
        for (int i = 0; i < props.getLength(); i++) {
            Element p = (Element) props.item(i);
            String name = text(p, "config-property-name");
            String value = text(p, "config-property-value");
            Matcher row = Pattern.compile("^\\| `" + name + "` \\| ([^|]+) \\| ([^|]*) \\| (.*) \\|$", Pattern.MULTILINE)
                    .matcher(doc);
            assertThat(row.find()).as("docs/configuration.md has a row for " + name).isTrue();
            String documentedDefault = row.group(2).trim().replace("`", "");
            assertThat(documentedDefault).as(name + " default in docs")
                    .isEqualTo(value.isEmpty() ? "(empty)" : value);
            assertThat(Arrays.asList(row.group(1).trim().split(" "))).as(name + " type in docs").isNotEmpty();
            assertThat(row.group(3).trim()).as(name + " description in docs is ra.xml's")
                    .isEqualTo(text(p, "description").replaceAll("\\s+", " "));
        }
    }
}
