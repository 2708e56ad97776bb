package io.sidecarinitializer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC §2: the {@code mesh} document, the fields the sidecar uses, their defaults and their errors. */
class MeshConfigParserTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void anEmptyDocumentGivesEveryDefault() {
        MeshConfig m = MeshConfigParser.parse("");

        assertThat(m.proxyListenPort()).isEqualTo(15001);
        assertThat(m.configPath()).isEqualTo("/etc/istio/proxy");
        assertThat(m.binaryPath()).isEqualTo("/usr/local/bin/envoy");
        assertThat(m.serviceCluster()).isEqualTo("istio-proxy");
        assertThat(m.drainDuration()).isEqualTo(2 * SECOND);
        assertThat(m.parentShutdownDuration()).isEqualTo(3 * SECOND);
        assertThat(m.discoveryAddress()).isEqualTo("istio-pilot:15003");
        assertThat(m.discoveryRefreshDelay()).isEqualTo(SECOND);
        assertThat(m.zipkinAddress()).isEmpty();
        assertThat(m.connectTimeout()).isEqualTo(SECOND);
        assertThat(m.statsdUdpAddress()).isEmpty();
        assertThat(m.proxyAdminPort()).isEqualTo(15000);
        assertThat(m.controlPlaneAuthPolicy()).isEqualTo("NONE");
    }

    @ParameterizedTest
    @ValueSource(strings = {"~", "# nothing\n", "defaultConfig:\n", "defaultConfig: {}\n"})
    void documentsThatSetNothingGiveTheDefaults(String yaml) {
        assertThat(MeshConfigParser.parse(yaml)).isEqualTo(MeshConfig.defaults());
    }

    @Test
    void readsEveryUsedFieldWhenSet() {
        MeshConfig m = MeshConfigParser.parse("""
                proxyListenPort: 15002
                defaultConfig:
                  configPath: /etc/envoy
                  binaryPath: /usr/bin/envoy
                  serviceCluster: mesh
                  drainDuration: 90s
                  parentShutdownDuration: 1m30.5s
                  discoveryAddress: pilot:8080
                  discoveryRefreshDelay: 500ms
                  zipkinAddress: zipkin:9411
                  connectTimeout: 10s
                  statsdUdpAddress: statsd:9125
                  proxyAdminPort: "15010"
                  controlPlaneAuthPolicy: MUTUAL_TLS
                """);

        assertThat(m).isEqualTo(new MeshConfig(15002, "/etc/envoy", "/usr/bin/envoy", "mesh", 90 * SECOND, 90 * SECOND + SECOND / 2,
                "pilot:8080", SECOND / 2, "zipkin:9411", 10 * SECOND, "statsd:9125", 15010, "MUTUAL_TLS"));
    }

    @Test
    void fieldsItDoesNotUseAreAcceptedAndIgnored() {
        MeshConfig m = MeshConfigParser.parse("""
                egressProxyAddress: istio-egress:80
                mixerAddress: istio-mixer:9091
                authPolicy: NONE
                ingressClass: istio
                defaultConfig:
                  proxyBootstrapTemplate: /etc/bootstrap.json
                  availabilityZone: eu-west-1a
                """);

        assertThat(m).isEqualTo(MeshConfig.defaults());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "proxyListenPort: abc                                 | proxyListenPort                      | expected an integer",
        "proxyListenPort: 70000                               | proxyListenPort                      | out of range 1..65535",
        "proxyListenPort: 0                                   | proxyListenPort                      | out of range",
        "defaultConfig:\\n  proxyAdminPort: -5                | defaultConfig.proxyAdminPort         | out of range",
        "defaultConfig:\\n  proxyAdminPort: [1]               | defaultConfig.proxyAdminPort         | expected an integer",
        "defaultConfig:\\n  drainDuration: 2                  | defaultConfig.drainDuration          | '2' is not a duration",
        "defaultConfig:\\n  drainDuration: soon               | defaultConfig.drainDuration          | 'soon' is not a duration",
        "defaultConfig:\\n  parentShutdownDuration: 2 s       | defaultConfig.parentShutdownDuration | is not a duration",
        "defaultConfig:\\n  discoveryRefreshDelay: -1s        | defaultConfig.discoveryRefreshDelay  | is not a duration",
        "defaultConfig:\\n  connectTimeout: 1d                | defaultConfig.connectTimeout         | is not a duration",
        "defaultConfig:\\n  controlPlaneAuthPolicy: TLS       | defaultConfig.controlPlaneAuthPolicy | 'TLS' is not one of NONE, MUTUAL_TLS",
        "defaultConfig:\\n  configPath: ''                    | defaultConfig.configPath             | must not be empty",
        "defaultConfig:\\n  discoveryAddress: {a: b}          | defaultConfig.discoveryAddress       | expected a string",
        "defaultConfig: []                                    | defaultConfig                        | expected a mapping",
    })
    void rejectsBadValuesNamingTheField(String yaml, String field, String message) {
        assertThatThrownBy(() -> MeshConfigParser.parse(yaml.replace("\\n", "\n")))
                .asInstanceOf(type(ConfigException.class))
                .satisfies(e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.getMessage()).startsWith(field + ": ").contains(message);
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"- 15001", "proxyListenPort: [", "text"})
    void rejectsDocumentsThatAreNotAMappingOrNotYaml(String yaml) {
        assertThatThrownBy(() -> MeshConfigParser.parse(yaml)).isInstanceOf(ConfigException.class);
    }
}
