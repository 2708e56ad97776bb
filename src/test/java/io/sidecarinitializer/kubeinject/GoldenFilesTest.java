package io.sidecarinitializer.kubeinject;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.yaml.KubeYaml;
import io.sidecarinitializer.yaml.RawDocument;
import io.sidecarinitializer.yaml.YamlDocuments;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

/** kube-inject over every golden case: byte-exact output, idempotence, and "injection only adds". */
public class GoldenFilesTest {
    private static final String STATUS = "sidecar.istio.io/status";
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<GoldenCase> cases() {
        return GoldenCase.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void kubeInjectWritesTheGoldenOutput(GoldenCase c) {
        String actual = KubeInjectRun.injected(c.kubeInjectArgs(c.input()));

        GoldenCase.assertMatchesFile(c.output(), actual);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void injectingTheGoldenOutputAgainChangesNothing(GoldenCase c) {
        String once = c.expectedOutput();

        String twice = KubeInjectRun.injected(c.kubeInjectArgs(c.output()));

        assertThat(twice).isEqualTo(once);
    }

    /**
     * Independent of the rendering: take the sidecar that the status annotation names back out of the
     * output, and what remains must be the input, field for field and in the same order.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void injectionOnlyAppendsWhatTheStatusAnnotationNames(GoldenCase c) throws IOException {
        List<Object> in = documents(c.input(), c.inputText());
        List<Object> out = documents(c.output(), c.expectedOutput());
        assertThat(out).as("documents").hasSameSizeAs(in);

        KubeYaml yaml = new KubeYaml();
        for (int i = 0; i < in.size(); i++) {
            List<Object> inObjects = objects(in.get(i));
            List<Object> outObjects = objects(out.get(i));
            assertThat(outObjects).as("objects of document %d", i + 1).hasSameSizeAs(inObjects);
            for (int j = 0; j < inObjects.size(); j++) {
                Object inObject = inObjects.get(j);
                Object outObject = outObjects.get(j);
                if (statusOf(inObject) != null) {
                    assertThat(yaml.dump(outObject)).as("an injected object is left alone").isEqualTo(yaml.dump(inObject));
                } else {
                    assertThat(yaml.dump(withoutSidecar(outObject))).as("document %d, object %d", i + 1, j + 1)
                            .isEqualTo(yaml.dump(inObject));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "Deployment, apps/v1, deployment-apps-v1",
        "Deployment, apps/v1beta1, deployment-apps-v1",
        "Deployment, apps/v1beta2, deployment-apps-v1",
        "Deployment, extensions/v1beta1, deployment-apps-v1",
        "StatefulSet, apps/v1, statefulset-apps-v1",
        "StatefulSet, apps/v1beta1, statefulset-apps-v1",
        "StatefulSet, apps/v1beta2, statefulset-apps-v1",
        "DaemonSet, apps/v1, daemonset-apps-v1",
        "DaemonSet, apps/v1beta2, daemonset-apps-v1",
        "DaemonSet, extensions/v1beta1, daemonset-apps-v1",
        "ReplicaSet, apps/v1, replicaset-apps-v1",
        "ReplicaSet, apps/v1beta2, replicaset-apps-v1",
        "ReplicaSet, extensions/v1beta1, replicaset-apps-v1",
        "ReplicationController, v1, replicationcontroller-v1",
        "Job, batch/v1, job-batch-v1",
        "CronJob, batch/v1, cronjob-batch-v1",
        "CronJob, batch/v1beta1, cronjob-batch-v1",
        "CronJob, batch/v2alpha1, cronjob-batch-v1",
        "Pod, v1, pod-v1",
    })
    void everyServedApiVersionOfEveryKindIsInjectedLikeItsGoldenCase(String kind, String apiVersion, String golden,
                                                                       @TempDir Path tmp) throws IOException {
        GoldenCase c = GoldenCase.named(golden);
        assertThat(c.inputText()).startsWith("apiVersion: ").contains("\nkind: " + kind + "\n");
        Path in = tmp.resolve("in.yaml");
        Files.writeString(in, withApiVersion(c.inputText(), apiVersion));

        String[] args = c.kubeInjectArgs(in);
        KubeInjectRun run = KubeInjectRun.run(prepend("kube-inject", without(args, "--quiet")));

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(withApiVersion(c.expectedOutput(), apiVersion));
        assertThat(run.err()).startsWith(kind.toLowerCase() + "/").endsWith(": injected\n");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "Deployment, v1, deployment-apps-v1",
        "Deployment, apps/v1beta3, deployment-apps-v1",
        "StatefulSet, extensions/v1beta1, statefulset-apps-v1",
        "DaemonSet, apps/v1beta1, daemonset-apps-v1",
        "Job, batch/v1beta1, job-batch-v1",
        "CronJob, batch/v2, cronjob-batch-v1",
        "Pod, apps/v1, pod-v1",
    })
    void leavesKindsAtApiVersionsNobodyServesUntouched(String kind, String apiVersion, String golden, @TempDir Path tmp)
            throws IOException {
        String text = withApiVersion(GoldenCase.named(golden).inputText(), apiVersion);
        Path in = tmp.resolve("in.yaml");
        Files.writeString(in, text);

        KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo(text);
        assertThat(run.err()).as("no summary line for an object that is not a workload").isEmpty();
    }

    @Test
    void documentsThatAreNotWorkloadsComeBackByteForByte() {
        GoldenCase c = GoldenCase.named("mixed-documents");
        List<RawDocument> in = YamlDocuments.split(c.inputText());
        List<RawDocument> out = YamlDocuments.split(c.expectedOutput());

        assertThat(out).hasSameSizeAs(in);
        assertThat(in.get(0).text()).contains("kind: Service");
        assertThat(in.get(1).text()).contains("kind: ConfigMap").contains("nginx.conf: |");
        for (int i : new int[] {0, 1, 2, 4}) { // Service, ConfigMap, a Deployment that opts out, a comment
            assertThat(out.get(i).text()).as("document %d", i + 1).isEqualTo(in.get(i).text());
        }
        assertThat(out.get(3).text()).contains(STATUS);
    }

    @Test
    void kubectlListKeepsServerFieldsAndTimestampsStayStringsForAnyYamlReader() {
        String out = GoldenCase.named("kubectl-list").expectedOutput();

        // A plain YAML 1.1 reader (PyYAML, Ruby, default SnakeYAML) turns an unquoted timestamp into a date.
        @SuppressWarnings("unchecked")
        Map<String, Object> list = (Map<String, Object>) new Yaml().load(out);
        @SuppressWarnings("unchecked")
        Map<String, Object> hello = (Map<String, Object>) ((List<Object>) list.get("items")).get(0);
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) hello.get("metadata");

        assertThat(meta.get("creationTimestamp")).isEqualTo("2017-10-10T10:10:10Z");
        assertThat(meta).containsEntry("resourceVersion", "12345").containsEntry("uid", "0e1a6c2e-ad8f-11e7-8f4a-42010a800002")
                .containsKey("managedFields");
        assertThat(hello).containsKey("status");
        assertThat(((Map<?, ?>) meta.get("annotations")).get(STATUS)).isNotNull();
    }

    private static String withApiVersion(String manifest, String apiVersion) {
        return manifest.replaceFirst("(?m)^apiVersion: .*$", "apiVersion: " + apiVersion);
    }

    private static String[] prepend(String first, String[] rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }

    private static String[] without(String[] args, String drop) {
        return List.of(args).stream().filter(a -> !a.equals(drop)).toArray(String[]::new);
    }

    public static List<Object> documents(Path file, String text) throws IOException {
        if (file.toString().endsWith(".json")) {
            return List.of(JSON.readValue(text, Object.class));
        }
        List<Object> docs = new ArrayList<>(new KubeYaml().loadAll(text));
        docs.removeIf(d -> d == null);
        return docs;
    }

    /** The document itself, or the items of a {@code kind: List}. */
    @SuppressWarnings("unchecked")
    public static List<Object> objects(Object document) {
        if (document instanceof Map<?, ?> m && "List".equals(m.get("kind")) && m.get("items") instanceof List<?> items) {
            return (List<Object>) items;
        }
        return List.of(document);
    }

    /** The status annotation anywhere in the object (workload or pod template), or null. */
    static String statusOf(Object node) {
        if (node instanceof Map<?, ?> m) {
            if (m.get("annotations") instanceof Map<?, ?> a && a.get(STATUS) instanceof String s) {
                return s;
            }
            for (Object v : m.values()) {
                String s = statusOf(v);
                if (s != null) {
                    return s;
                }
            }
        } else if (node instanceof List<?> l) {
            for (Object v : l) {
                String s = statusOf(v);
                if (s != null) {
                    return s;
                }
            }
        }
        return null;
    }

    /** A copy of an injected object with the status annotations and the items they name removed. */
    private static Object withoutSidecar(Object object) throws IOException {
        String status = statusOf(object);
        if (status == null) {
            return object;
        }
        Map<String, List<String>> added = JSON.readValue(status, new TypeReference<Map<String, Object>>() {}).entrySet().stream()
                .filter(e -> e.getValue() instanceof List<?>)
                .collect(Collectors.toMap(Map.Entry::getKey, e -> castNames(e.getValue())));
        assertThat(added).as("status %s", status).containsOnlyKeys("initContainers", "containers", "volumes");
        assertThat(added.get("containers")).containsExactly("istio-proxy");
        assertThat(added.get("initContainers")).startsWith("istio-init");
        assertThat(added.get("volumes")).containsExactly("istio-envoy", "istio-certs");

        Object copy = JSON.readValue(JSON.writeValueAsString(object), Object.class);
        int[] statuses = {0};
        strip(copy, added, status, statuses);
        Object kind = ((Map<?, ?>) object).get("kind");
        assertThat(statuses[0]).as("status annotations (workload, CronJob's job template, pod template)").isEqualTo(
                kind.equals("Pod") ? 1 : kind.equals("CronJob") ? 3 : 2);
        return new KubeYaml().load(new KubeYaml().dump(copy));
    }

    @SuppressWarnings("unchecked")
    private static List<String> castNames(Object list) {
        return (List<String>) list;
    }

    @SuppressWarnings("unchecked")
    private static void strip(Object node, Map<String, List<String>> added, String status, int[] statuses) {
        if (node instanceof List<?> list) {
            for (Object item : list) {
                strip(item, added, status, statuses);
            }
            return;
        }
        if (!(node instanceof Map<?, ?>)) {
            return;
        }
        Map<String, Object> map = (Map<String, Object>) node;
        if (map.get("annotations") instanceof Map<?, ?> annotations && annotations.containsKey(STATUS)) {
            assertThat(annotations.get(STATUS)).as("workload and template carry the same status").isEqualTo(status);
            annotations.remove(STATUS);
            statuses[0]++;
            if (annotations.isEmpty()) {
                map.remove("annotations");
            }
        }
        for (String key : List.of("initContainers", "containers", "volumes")) {
            if (added.containsKey(key) && map.get(key) instanceof List<?> items && map.containsKey("containers")) {
                List<Object> list = (List<Object>) items;
                List<String> names = added.get(key);
                int keep = list.size() - names.size();
                assertThat(keep).as("%s has the added entries", key).isGreaterThanOrEqualTo(0);
                List<Object> tail = list.subList(keep, list.size());
                assertThat(tail).as("%s ends with the entries the status names, in order", key)
                        .extracting(item -> ((Map<String, Object>) item).get("name")).containsExactlyElementsOf(names);
                tail.clear();
                if (list.isEmpty()) {
                    map.remove(key);
                }
            }
        }
        for (Iterator<Map.Entry<String, Object>> it = map.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Object> e = it.next();
            strip(e.getValue(), added, status, statuses);
            if (e.getKey().equals("metadata") && e.getValue() instanceof Map<?, ?> meta && meta.isEmpty()) {
                it.remove(); // metadata that injection had to create for its annotation
            }
        }
    }
}
