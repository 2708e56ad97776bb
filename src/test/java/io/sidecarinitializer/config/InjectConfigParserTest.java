package io.sidecarinitializer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.sidecarinitializer.BuildInfo;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC §2: the {@code config} document of the istio-inject ConfigMap, its defaults and its errors. */
class InjectConfigParserTest {

    @Test
    void anEmptyDocumentGivesEveryDefault() {
        InjectConfig c = InjectConfigParser.parse("");
        Params p = c.params();

        assertThat(c.policy()).isEqualTo(Policy.ENABLED);
        assertThat(c.namespaces()).containsExactly("");
        assertThat(c.allNamespaces()).isTrue();
        assertThat(c.excludeNamespaces()).isEmpty();
        assertThat(c.initializerName()).isEqualTo("sidecar.initializer.istio.io");
        assertThat(p.initImage()).isEqualTo("docker.io/istio/proxy_init:" + BuildInfo.istioVersion());
        assertThat(p.proxyImage()).isEqualTo("docker.io/istio/proxy:" + BuildInfo.istioVersion());
        assertThat(p.verbosity()).isEqualTo(2);
        assertThat(p.version()).isEqualTo(BuildInfo.version());
        assertThat(p.meshConfigMapName()).isEqualTo("istio");
        assertThat(p.imagePullPolicy()).isEqualTo(ImagePullPolicy.IfNotPresent);
        assertThat(p.sidecarProxyUID()).isEqualTo(1337);
        assertThat(p.includeIPRanges()).isEmpty();
        assertThat(p.enableCoreDump()).isFalse();
        assertThat(p.debugMode()).isFalse();
    }

    @Test
    void theBuildStampsRealVersionsIntoTheDefaults() {
        assertThat(BuildInfo.istioVersion()).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(BuildInfo.version()).matches("\\d+\\.\\d+\\.\\d+.*");
    }

    @ParameterizedTest
    @ValueSource(strings = {"~", "# only a comment\n", "params:\n", "params: {}\n", "{}"})
    void documentsThatSetNothingGiveTheDefaults(String yaml) {
        assertThat(InjectConfigParser.parse(yaml)).isEqualTo(InjectConfig.defaults());
    }

    @Test
    void settingOneFieldKeepsTheOtherDefaults() {
        InjectConfig c = InjectConfigParser.parse("params:\n  verbosity: 5\n");

        assertThat(c.params().verbosity()).isEqualTo(5);
        assertThat(c).usingRecursiveComparison().ignoringFields("params.verbosity").isEqualTo(InjectConfig.defaults());
    }

    @Test
    void readsTheSeedsConfigMapDocument() {
        InjectConfig c = InjectConfigParser.parse("""
                policy: "enabled"
                namespaces: [""] # everything, aka v1.NamepsaceAll, aka cluster-wide
                # excludeNamespaces: ["ns1", "ns2"]
                initializerName: "sidecar.initializer.istio.io"
                params:
                  initImage: docker.io/istio/proxy_init:0.2.6
                  proxyImage: docker.io/istio/proxy:0.2.6
                  verbosity: 2
                  version: 0.2.6
                  meshConfigMapName: istio
                  imagePullPolicy: IfNotPresent
                """);

        assertThat(c.policy()).isEqualTo(Policy.ENABLED);
        assertThat(c.params().version()).isEqualTo("0.2.6");
        assertThat(c.params().proxyImage()).isEqualTo("docker.io/istio/proxy:0.2.6");
    }

    @Test
    void readsEveryFieldWhenSet() {
        InjectConfig c = InjectConfigParser.parse("""
                policy: disabled
                namespaces: [shop, blog]
                initializerName: sidecar.initializer.example.com
                params:
                  initImage: registry.example/init:1
                  proxyImage: registry.example/proxy:1
                  verbosity: 0
                  version: "1.0"
                  meshConfigMapName: mesh
                  imagePullPolicy: Never
                  sidecarProxyUID: 2000
                  includeIPRanges: 10.0.0.0/8
                  enableCoreDump: true
                  debugMode: "true"
                """);
        Params p = c.params();

        assertThat(c.policy()).isEqualTo(Policy.DISABLED);
        assertThat(c.namespaces()).containsExactly("shop", "blog");
        assertThat(c.allNamespaces()).isFalse();
        assertThat(c.initializerName()).isEqualTo("sidecar.initializer.example.com");
        assertThat(p).isEqualTo(new Params("registry.example/init:1", "registry.example/proxy:1", 0, "1.0", "mesh",
                ImagePullPolicy.Never, 2000, "10.0.0.0/8", true, true));
    }

    @ParameterizedTest(name = "policy: {0}")
    @CsvSource({"enabled, ENABLED", "disabled, DISABLED", "off, OFF", "'\"off\"', OFF", "OFF, OFF", "Off, OFF"})
    void readsEveryPolicyIncludingAnUnquotedOff(String yaml, Policy expected) {
        assertThat(InjectConfigParser.parse("policy: " + yaml).policy()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"policy: Enabled", "policy: DISABLED", "policy: '\"Off\"'", "namespaces: [null]", "namespaces: [shop, ~]",
        "excludeNamespaces: [null]", "params: {sidecarProxyUID: '1337'}", "params: {verbosity: '2'}"})
    void refusesValuesOfTheWrongTypeOrSpelling(String yaml) {
        assertThatThrownBy(() -> InjectConfigParser.parse(yaml)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(yaml.substring(0, yaml.indexOf(':')));
    }

    @Test
    void excludeNamespacesGoWithTheAllNamespacesDefault() {
        InjectConfig c = InjectConfigParser.parse("namespaces: [\"\"]\nexcludeNamespaces: [legacy, batch]");

        assertThat(c.excludeNamespaces()).containsExactly("legacy", "batch");
        assertThat(InjectConfigParser.parse("excludeNamespaces: [legacy]").excludeNamespaces()).containsExactly("legacy");
    }

    @ParameterizedTest(name = "includeIPRanges: {0}")
    @CsvSource(delimiter = '|', value = {
        "10.0.0.0/8                           | 10.0.0.0/8",
        "' 10.0.0.0/8 , 172.16.0.0/12 '       | 10.0.0.0/8,172.16.0.0/12",
        "'0.0.0.0/0'                          | 0.0.0.0/0",
        "'\"*\"'                              | *",
        "'fd00::/8'                           | fd00::/8",
        "'10.1.2.3/32,192.168.0.0/16'         | 10.1.2.3/32,192.168.0.0/16",
    })
    void acceptsAndNormalisesCidrLists(String yaml, String expected) {
        assertThat(InjectConfigParser.parse("params:\n  includeIPRanges: " + yaml).params().includeIPRanges()).isEqualTo(expected);
    }

    @Test
    void thePullPolicyErrorListsTheAllowedValues() {
        assertThatThrownBy(() -> InjectConfigParser.parse("params:\n  imagePullPolicy: Sometimes\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("params.imagePullPolicy: 'Sometimes' is not one of Always, IfNotPresent, Never");
    }

    /** Every error names its field, both in {@link ConfigException#field()} and at the start of the message. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "namespaces: [shop]\\nexcludeNamespaces: [legacy]  | excludeNamespaces                 | cannot be combined",
        "excludeNamespaces: ['']                          | excludeNamespaces                 | cannot be excluded",
        "excludeNamespaces: [legacy, '']                  | excludeNamespaces                 | cannot be excluded",
        "policy: sometimes                                | policy                            | 'sometimes' is not one of enabled, disabled, off",
        "policy: true                                     | policy                            | not one of",
        "policy: [enabled]                                | policy                            | expected a string",
        "params:\\n  imagePullPolicy: always              | params.imagePullPolicy            | 'always' is not one of",
        "params:\\n  verbosity: high                      | params.verbosity                  | expected an integer, got 'high'",
        "params:\\n  verbosity: 2.5                       | params.verbosity                  | expected an integer",
        "params:\\n  verbosity: 11                        | params.verbosity                  | out of range",
        "params:\\n  verbosity: -1                        | params.verbosity                  | out of range",
        "params:\\n  sidecarProxyUID: -1                  | params.sidecarProxyUID            | out of range",
        "params:\\n  sidecarProxyUID: root                | params.sidecarProxyUID            | expected an integer",
        "params:\\n  enableCoreDump: maybe                | params.enableCoreDump             | expected true or false",
        "params:\\n  debugMode: 1                         | params.debugMode                  | expected true or false",
        "params:\\n  initImage: ''                        | params.initImage                  | must not be empty",
        "params:\\n  proxyImage: [a, b]                   | params.proxyImage                 | expected a string",
        "namespaces: x                                    | namespaces                        | expected a list of strings",
        "namespaces: [shop, 7]                            | namespaces[1]                     | expected a string",
        "namespaces: [Shop_Floor]                         | namespaces[0]                     | not a valid namespace name",
        "excludeNamespaces: {a: b}                        | excludeNamespaces                 | expected a list of strings",
        "params: []                                       | params                            | expected a mapping, got a list",
        "params: on                                       | params                            | expected a mapping",
        "polcy: enabled                                   | polcy                             | unknown field",
        "params:\\n  initimage: x                         | params.initimage                  | unknown field",
        "params:\\n  includeIPRanges: 10.0.0.0/33         | params.includeIPRanges            | '10.0.0.0/33' is not a CIDR",
        "params:\\n  includeIPRanges: 10.0.0/8            | params.includeIPRanges            | is not a CIDR",
        "params:\\n  includeIPRanges: 10.0.0.0            | params.includeIPRanges            | is not a CIDR",
        "params:\\n  includeIPRanges: '10.0.0.0/8,,'      | params.includeIPRanges            | is not a CIDR",
        "params:\\n  includeIPRanges: 256.0.0.0/8         | params.includeIPRanges            | is not a CIDR",
        "initializerName: ''                              | initializerName                   | must not be empty",
    })
    void rejectsBadDocumentsNamingTheField(String yaml, String field, String message) {
        assertThatThrownBy(() -> InjectConfigParser.parse(yaml.replace("\\n", "\n")))
                .asInstanceOf(type(ConfigException.class))
                .satisfies(e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.getMessage()).startsWith(field + ": ").contains(message);
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"- policy: enabled", "just text", "policy: [", "policy: enabled\npolicy: off"})
    void rejectsDocumentsThatAreNotAMappingOrNotYaml(String yaml) {
        assertThatThrownBy(() -> InjectConfigParser.parse(yaml)).isInstanceOf(ConfigException.class);
    }

    @Test
    void numbersAndBooleansWrittenWhereTextIsExpectedAreReadAsText() {
        Params p = InjectConfigParser.parse("params:\n  version: 1.0\n  meshConfigMapName: 42\n").params();

        assertThat(p.version()).isEqualTo("1.0");
        assertThat(p.meshConfigMapName()).isEqualTo("42");
    }

    @Test
    void theParsedListsCannotBeChangedBehindTheParsersBack() {
        InjectConfig c = InjectConfigParser.parse("namespaces: [shop]");

        assertThatThrownBy(() -> c.namespaces().add("blog")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(c.namespaces()).isEqualTo(List.of("shop"));
    }
}
