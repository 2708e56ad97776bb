package io.sidecarinitializer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.config.InjectConfig;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.MeshConfig;
import io.sidecarinitializer.config.MeshConfigParser;
import io.sidecarinitializer.yaml.KubeYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The install manifests stay in step with the config files and keep their security promises. */
@SuppressWarnings("unchecked")
class ManifestsTest {
    private final KubeYaml yaml = new KubeYaml();

    @Test
    void configMapsCarryExactlyTheDefaultConfigFiles() throws IOException {
        List<Object> docs = yaml.loadAll(Files.readString(Path.of("manifests/base/configmaps.yaml")));
        Map<String, Object> inject = byName(docs, "istio-inject");
        Map<String, Object> mesh = byName(docs, "istio");

        assertThat(data(inject).get("config")).isEqualTo(Files.readString(Path.of("config/inject-config.yaml")));
        assertThat(data(mesh).get("mesh")).isEqualTo(Files.readString(Path.of("config/mesh-config.yaml")));
    }

    @Test
    void defaultConfigFilesEqualTheBuiltInDefaults() throws IOException {
        InjectConfig fromFile = InjectConfigParser.parse(Files.readString(Path.of("config/inject-config.yaml")));
        MeshConfig meshFromFile = MeshConfigParser.parse(Files.readString(Path.of("config/mesh-config.yaml")));

        assertThat(fromFile).isEqualTo(InjectConfig.defaults());
        assertThat(meshFromFile).isEqualTo(MeshConfig.defaults());
    }

    @Test
    void rbacNamesEveryVerbAndResourceWithoutWildcards() throws IOException {
        String rbac = Files.readString(Path.of("manifests/base/rbac.yaml"));
        for (Object doc : yaml.loadAll(rbac)) {
            Map<String, Object> m = (Map<String, Object>) doc;
            if (m.get("rules") instanceof List<?> rules) {
                for (Object rule : rules) {
                    Map<String, Object> r = (Map<String, Object>) rule;
                    assertThat((List<Object>) r.get("verbs")).as("verbs of %s", m.get("metadata")).doesNotContain("*");
                    assertThat((List<Object>) r.get("resources")).as("resources of %s", m.get("metadata")).doesNotContain("*");
                }
            }
        }
    }

    @Test
    void controllerDeploymentNeverWaitsOnItselfAndRunsHardened() throws IOException {
        Map<String, Object> deploy = (Map<String, Object>) yaml.load(Files.readString(Path.of("manifests/base/deployment.yaml")));
        Map<String, Object> legacyPatch = (Map<String, Object>) yaml.load(Files.readString(Path.of("manifests/legacy/deployment-no-initializers.yaml")));

        assertThat(at(deploy, "metadata", "annotations")).containsEntry("sidecar.istio.io/inject", "false");
        assertThat(at(deploy, "spec")).containsEntry("replicas", 2);
        assertThat(at(legacyPatch, "metadata", "initializers")).containsEntry("pending", List.of());
        Map<String, Object> podSecurity = at(deploy, "spec", "template", "spec", "securityContext");
        assertThat(podSecurity).containsEntry("runAsNonRoot", true);
        Map<String, Object> container = (Map<String, Object>) ((List<Object>) at(deploy, "spec", "template", "spec").get("containers")).get(0);
        Map<String, Object> security = (Map<String, Object>) container.get("securityContext");
        assertThat(security).containsEntry("readOnlyRootFilesystem", true).containsEntry("allowPrivilegeEscalation", false);
        assertThat(at(security, "capabilities")).containsEntry("drop", List.of("ALL"));
        assertThat(container).containsKeys("livenessProbe", "readinessProbe", "resources");
    }

    @Test
    void theManifestsRunTheImageAndTagTheBuildMakes() throws IOException {
        Map<String, Object> deploy = (Map<String, Object>) yaml.load(Files.readString(Path.of("manifests/base/deployment.yaml")));
        Map<String, Object> kustomization = (Map<String, Object>) yaml.load(Files.readString(Path.of("manifests/base/kustomization.yaml")));
        Map<String, Object> container = (Map<String, Object>) ((List<Object>) at(deploy, "spec", "template", "spec").get("containers")).get(0);

        assertThat(container).containsEntry("image", "sidecar-initializer");
        // The e2e image tests and the README build sidecar-initializer:<project version>.
        assertThat((List<Object>) kustomization.get("images"))
                .containsExactly(Map.of("name", "sidecar-initializer", "newTag", BuildInfo.version()));
        assertThat(Files.readString(Path.of("README.md"))).contains("-t sidecar-initializer:" + BuildInfo.version() + " .");
    }

    private static Map<String, Object> byName(List<Object> docs, String name) {
        return docs.stream().map(d -> (Map<String, Object>) d)
                .filter(d -> name.equals(((Map<String, Object>) d.get("metadata")).get("name")))
                .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap " + name));
    }

    private static Map<String, Object> data(Map<String, Object> configMap) {
        return (Map<String, Object>) configMap.get("data");
    }

    private static Map<String, Object> at(Map<String, Object> root, String... keys) {
        Map<String, Object> m = root;
        for (String k : keys) {
            m = (Map<String, Object>) m.get(k);
        }
        return m;
    }
}
