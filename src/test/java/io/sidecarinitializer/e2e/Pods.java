package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Bare Pods created with kubectl on the real API server (no kubelet: they stay Pending), and what admission made of them. */
final class Pods {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String IMAGE = "nginx:1.25";

    private final Kubectl kubectl;

    Pods(Kubectl kubectl) {
        this.kubectl = kubectl;
    }

    /**
     * Waits until namespace {@code namespace}'s default ServiceAccount has its token: before that, ServiceAccount
     * admission rejects a Pod (kube-controller-manager needs a moment after the namespace is created).
     */
    void awaitServiceAccount(String namespace) {
        Poll.until("ServiceAccount " + namespace + "/default to get its token", Duration.ofSeconds(60), () ->
                !kubectl.ok("get", "serviceaccount", "default", "-n", namespace, "-o", "jsonpath={.secrets[*].name}").isBlank());
    }

    /** {@code kubectl create} of a one-container Pod; returns it as the API server stored it (after admission). */
    Map<String, Object> create(String namespace, String name, Map<String, String> annotations, boolean hostNetwork) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", name);
        if (!annotations.isEmpty()) {
            metadata.put("annotations", annotations);
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("containers", List.of(Map.of("name", "app", "image", IMAGE)));
        if (hostNetwork) {
            spec.put("hostNetwork", true);
        }
        Map<String, Object> pod = Map.of("apiVersion", "v1", "kind", "Pod", "metadata", metadata, "spec", spec);
        try {
            return parse(kubectl.okWithInput(JSON.writeValueAsString(pod), "create", "-n", namespace, "-f", "-", "-o", "json"));
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    Map<String, Object> create(String namespace, String name) {
        return create(namespace, name, Map.of(), false);
    }

    Map<String, Object> get(String namespace, String name) {
        return kubectl.json("get", "pod", name, "-n", namespace);
    }

    /** The pod has the sidecar as SPEC §4 adds it to a pod: status annotation, istio-init, istio-proxy of {@code proxyImage}. */
    static void assertInjected(Map<String, Object> pod, List<String> containers, String proxyImage) {
        String what = "pod " + Trees.string(pod, "metadata", "namespace") + "/" + Trees.name(pod);
        Map<String, Object> status = Injection.status(pod);
        assertThat(status).as("status annotation of %s", what).isNotNull();
        assertThat(status).as("status annotation of %s", what).containsEntry("initContainers", List.of("istio-init"))
                .containsEntry("containers", List.of("istio-proxy")).containsEntry("volumes", List.of("istio-envoy", "istio-certs"));
        Map<String, Object> asTemplate = Map.of("spec", Trees.map(pod, "spec"));
        assertThat(Trees.containerNames(asTemplate)).as("containers of %s", what)
                .containsExactlyElementsOf(Injection.plus(containers, "istio-proxy"));
        assertThat(Trees.initContainerNames(asTemplate)).as("init containers of %s", what).containsExactly("istio-init");
        assertThat(Trees.string(Trees.container(asTemplate, "istio-proxy"), "image")).as("proxy image of %s", what).isEqualTo(proxyImage);
    }

    /** No status annotation and exactly {@code containers}: admission added nothing. */
    static void assertNotInjected(Map<String, Object> pod, List<String> containers) {
        String what = "pod " + Trees.string(pod, "metadata", "namespace") + "/" + Trees.name(pod);
        assertThat(Trees.annotation(pod, Trees.STATUS_ANNOTATION)).as("status annotation of %s", what).isNull();
        Map<String, Object> asTemplate = Map.of("spec", Trees.map(pod, "spec"));
        assertThat(Trees.containerNames(asTemplate)).as("containers of %s", what).containsExactlyElementsOf(containers);
        assertThat(Trees.initContainerNames(asTemplate)).as("init containers of %s", what).isEmpty();
    }

    static boolean injected(Map<String, Object> pod) {
        return Trees.annotation(pod, Trees.STATUS_ANNOTATION) != null;
    }

    private static Map<String, Object> parse(String json) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> tree = JSON.readValue(json, Map.class);
            return tree;
        } catch (JsonProcessingException e) {
            throw new AssertionError("kubectl printed no JSON:\n" + json, e);
        }
    }
}
