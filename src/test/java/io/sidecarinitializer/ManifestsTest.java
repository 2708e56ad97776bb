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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The install manifests stay in step with the config files, the webhook's flags and each other, and keep their security promises. */
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
        for (String file : List.of("manifests/reconcile/rbac.yaml", "manifests/webhook/rbac.yaml")) {
            for (Object doc : yaml.loadAll(Files.readString(Path.of(file)))) {
                Map<String, Object> m = (Map<String, Object>) doc;
                if (m.get("rules") instanceof List<?> rules) {
                    for (Object rule : rules) {
                        Map<String, Object> r = (Map<String, Object>) rule;
                        assertThat((List<Object>) r.get("verbs")).as("verbs of %s in %s", m.get("metadata"), file).doesNotContain("*");
                        assertThat((List<Object>) r.get("resources")).as("resources of %s in %s", m.get("metadata"), file).doesNotContain("*");
                    }
                }
            }
        }
    }

    @Test
    void controllerDeploymentNeverWaitsOnItselfAndRunsHardened() throws IOException {
        Map<String, Object> deploy = load("manifests/reconcile/deployment.yaml");
        Map<String, Object> legacyPatch = load("manifests/legacy/deployment-no-initializers.yaml");

        assertThat(at(deploy, "metadata", "annotations")).containsEntry("sidecar.istio.io/inject", "false");
        assertThat(at(deploy, "spec")).containsEntry("replicas", 2);
        assertThat(at(legacyPatch, "metadata", "initializers")).containsEntry("pending", List.of());
        assertHardened(deploy);
    }

    @Test
    void webhookDeploymentRunsTwoHardenedReplicasWithSelfManagedCertificates() throws IOException {
        Map<String, Object> deploy = load("manifests/webhook/deployment.yaml");

        assertThat(at(deploy, "spec")).containsEntry("replicas", 2);
        assertThat(at(deploy, "metadata", "annotations")).containsEntry("sidecar.istio.io/inject", "false");
        assertHardened(deploy);
        List<String> args = (List<String>) container(deploy).get("args");
        assertThat(args.get(0)).isEqualTo("webhook");
        // No certificate files: the webhook makes its own and writes the CA into the configuration (no manual step).
        assertThat(args).noneMatch(a -> a.startsWith("--tls-cert-file") || a.startsWith("--tls-key-file"));
        assertThat(flags(args)).containsEntry("--namespace", "istio-system").containsEntry("--config-namespace", "istio-system")
                .containsEntry("--config-map", "istio-inject").containsKeys("--port", "--http-port");
        assertThat(at(deploy, "spec", "template", "spec")).containsEntry("serviceAccountName", "sidecar-injector");
    }

    @Test
    void serviceWebhookConfigurationAndDeploymentNameTheSameThings() throws IOException {
        Map<String, Object> deploy = load("manifests/webhook/deployment.yaml");
        Map<String, String> flags = flags((List<String>) container(deploy).get("args"));
        Map<String, Object> service = load("manifests/webhook/service.yaml");
        Map<String, Object> webhook = webhook();
        Map<String, Object> clientService = at(webhook, "clientConfig", "service");

        assertThat(clientService).containsEntry("name", flags.get("--service-name")).containsEntry("namespace", flags.get("--namespace"))
                .containsEntry("path", "/inject");
        assertThat(at(service, "metadata")).containsEntry("name", flags.get("--service-name")).containsEntry("namespace", flags.get("--namespace"));
        assertThat(at(load("manifests/webhook/mutating-webhook-configuration.yaml"), "metadata"))
                .containsEntry("name", flags.get("--webhook-config"));
        // The Service's port reaches the container's https port, which is the one --port serves.
        Map<String, Object> servicePort = ((List<Map<String, Object>>) at(service, "spec").get("ports")).get(0);
        assertThat(servicePort).containsEntry("port", clientService.get("port"));
        Map<String, Object> https = ((List<Map<String, Object>>) container(deploy).get("ports")).stream()
                .filter(p -> p.get("name").equals(servicePort.get("targetPort"))).findFirst().orElseThrow();
        assertThat(String.valueOf(https.get("containerPort"))).isEqualTo(flags.get("--port"));
        assertThat(at(service, "spec", "selector")).isEqualTo(at(deploy, "spec", "template", "metadata", "labels"));
    }

    @Test
    void webhookAsksOnlyAboutPodCreationsInLabeledNamespacesAndNeverBlocksThem() throws IOException {
        Map<String, Object> webhook = webhook();

        assertThat((List<Map<String, Object>>) webhook.get("rules")).singleElement().satisfies(rule -> {
            assertThat(rule).containsEntry("operations", List.of("CREATE")).containsEntry("apiGroups", List.of(""))
                    .containsEntry("resources", List.of("pods"));
        });
        List<Map<String, Object>> selector = (List<Map<String, Object>>) at(webhook, "namespaceSelector").get("matchExpressions");
        assertThat(selector).contains(Map.of("key", "istio-injection", "operator", "In", "values", List.of("enabled")));
        assertThat(selector).anySatisfy(e -> assertThat(e).containsEntry("key", "kubernetes.io/metadata.name").containsEntry("operator", "NotIn")
                .satisfies(m -> assertThat((List<String>) m.get("values")).contains("kube-system", "kube-public", "istio-system")));
        assertThat(webhook).containsEntry("failurePolicy", "Ignore").containsEntry("sideEffects", "None")
                .containsEntry("admissionReviewVersions", List.of("v1", "v1beta1"));
        assertThat((Integer) webhook.get("timeoutSeconds")).isBetween(1, 30);
        assertThat(at(webhook, "clientConfig")).doesNotContainKey("caBundle"); // written by the webhook; apply must not reset it
        // The injector's own namespace never matches the first expression.
        assertThat(at(load("manifests/base/namespace.yaml"), "metadata", "labels")).containsEntry("istio-injection", "disabled");
    }

    @Test
    void webhookRbacGrantsExactlyTheObjectsItsFlagsName() throws IOException {
        Map<String, String> flags = flags((List<String>) container(load("manifests/webhook/deployment.yaml")).get("args"));
        List<Object> docs = yaml.loadAll(Files.readString(Path.of("manifests/webhook/rbac.yaml")));
        List<Map<String, Object>> clusterRules = rules(docs, "ClusterRole");
        List<Map<String, Object>> rules = rules(docs, "Role");

        assertThat(clusterRules).containsExactly(Map.of("apiGroups", List.of("admissionregistration.k8s.io"),
                "resources", List.of("mutatingwebhookconfigurations"), "resourceNames", List.of(flags.get("--webhook-config")),
                "verbs", List.of("get", "patch")));
        assertThat(rules).containsExactlyInAnyOrder(
                Map.of("apiGroups", List.of(""), "resources", List.of("configmaps"), "verbs", List.of("get", "list", "watch")),
                Map.of("apiGroups", List.of(""), "resources", List.of("secrets"), "resourceNames", List.of(flags.get("--cert-secret")),
                        "verbs", List.of("get", "update")),
                Map.of("apiGroups", List.of(""), "resources", List.of("secrets"), "verbs", List.of("create")),
                Map.of("apiGroups", List.of(""), "resources", List.of("events"), "verbs", List.of("create")));
        assertThat(at(byKind(docs, "Role"), "metadata")).containsEntry("namespace", flags.get("--namespace"));
    }

    @Test
    void bothPodDisruptionBudgetsKeepOneReplicaOfTheWebhook() throws IOException {
        Map<String, Object> v1 = load("manifests/webhook/pod-disruption-budget.yaml");
        Map<String, Object> v1beta1 = load("manifests/k8s-1.16-1.20/pod-disruption-budget.yaml");

        assertThat(v1).containsEntry("apiVersion", "policy/v1");
        assertThat(v1beta1).containsEntry("apiVersion", "policy/v1beta1");
        Map<String, Object> same = new HashMap<>(v1beta1);
        same.put("apiVersion", "policy/v1");
        assertThat(same).isEqualTo(v1);
        assertThat(at(v1, "spec")).containsEntry("minAvailable", 1);
        assertThat(at(v1, "spec", "selector", "matchLabels"))
                .isEqualTo(at(load("manifests/webhook/deployment.yaml"), "spec", "template", "metadata", "labels"));
    }

    private Map<String, Object> load(String file) throws IOException {
        return (Map<String, Object>) yaml.load(Files.readString(Path.of(file)));
    }

    private Map<String, Object> webhook() throws IOException {
        List<Object> webhooks = (List<Object>) load("manifests/webhook/mutating-webhook-configuration.yaml").get("webhooks");
        assertThat(webhooks).hasSize(1);
        return (Map<String, Object>) webhooks.get(0);
    }

    private static void assertHardened(Map<String, Object> deploy) {
        Map<String, Object> podSecurity = at(deploy, "spec", "template", "spec", "securityContext");
        assertThat(podSecurity).containsEntry("runAsNonRoot", true).containsEntry("runAsUser", 10001);
        assertThat(at(podSecurity, "seccompProfile")).containsEntry("type", "RuntimeDefault");
        Map<String, Object> container = container(deploy);
        Map<String, Object> security = (Map<String, Object>) container.get("securityContext");
        assertThat(security).containsEntry("readOnlyRootFilesystem", true).containsEntry("allowPrivilegeEscalation", false);
        assertThat(at(security, "capabilities")).containsEntry("drop", List.of("ALL"));
        assertThat(container).containsKeys("livenessProbe", "readinessProbe");
        assertThat(at(container, "resources", "limits")).containsKey("memory");
        assertThat(at(container, "resources", "requests")).containsKeys("cpu", "memory");
    }

    private static Map<String, Object> container(Map<String, Object> deploy) {
        return (Map<String, Object>) ((List<Object>) at(deploy, "spec", "template", "spec").get("containers")).get(0);
    }

    /** {@code --name=value} arguments as a map. */
    private static Map<String, String> flags(List<String> args) {
        Map<String, String> flags = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                flags.put(arg.substring(0, eq), arg.substring(eq + 1));
            }
        }
        return flags;
    }

    private static List<Map<String, Object>> rules(List<Object> docs, String kind) {
        return (List<Map<String, Object>>) byKind(docs, kind).get("rules");
    }

    private static Map<String, Object> byKind(List<Object> docs, String kind) {
        return docs.stream().map(d -> (Map<String, Object>) d).filter(d -> kind.equals(d.get("kind")))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind));
    }

    @Test
    void theManifestsRunTheImageAndTagTheBuildMakes() throws IOException {
        for (String deployment : List.of("manifests/webhook/deployment.yaml", "manifests/reconcile/deployment.yaml")) {
            Map<String, Object> deploy = (Map<String, Object>) yaml.load(Files.readString(Path.of(deployment)));
            Map<String, Object> container = (Map<String, Object>) ((List<Object>) at(deploy, "spec", "template", "spec").get("containers")).get(0);
            assertThat(container).as(deployment).containsEntry("image", "sidecar-initializer");
        }
        // Every overlay a user applies tags the image the e2e image tests and the README build: sidecar-initializer:<version>.
        for (String overlay : List.of("manifests", "manifests/k8s-1.16-1.20", "manifests/reconcile")) {
            Map<String, Object> kustomization = (Map<String, Object>) yaml.load(Files.readString(Path.of(overlay, "kustomization.yaml")));
            assertThat((List<Object>) kustomization.get("images")).as(overlay)
                    .containsExactly(Map.of("name", "sidecar-initializer", "newTag", BuildInfo.version()));
        }
        Map<String, Object> legacy = (Map<String, Object>) yaml.load(Files.readString(Path.of("manifests/legacy/kustomization.yaml")));
        assertThat((List<Object>) legacy.get("resources")).as("manifests/legacy takes its image from").contains("../reconcile");
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
