package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.testing.Trees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Assertions on a workload as the server returns it: injected as SPEC §4 says, or left as it was. */
final class Injection {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Injection() {}

    /** The status annotation's JSON, or null when there is none. */
    static Map<String, Object> status(Map<String, Object> workload) {
        String text = Trees.annotation(workload, Trees.STATUS_ANNOTATION);
        if (text == null) {
            return null;
        }
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> status = JSON.readValue(text, Map.class);
            return status;
        } catch (JsonProcessingException e) {
            throw new AssertionError(Trees.STATUS_ANNOTATION + " of " + Trees.name(workload) + " is not JSON: " + text, e);
        }
    }

    /**
     * {@code live} (read back from the server) is {@code sample} plus exactly the sidecar: the status annotation on
     * the workload and its pod template naming what was added, our containers appended after the existing ones,
     * the proxy image of the config in force.
     */
    static void assertInjected(Map<String, Object> sample, Map<String, Object> live, String proxyImage, String version) {
        String what = Trees.kind(live) + " " + Trees.name(live);
        Map<String, Object> status = status(live);
        assertThat(status).as("status annotation of %s", what).isNotNull();
        assertThat(status).as("status annotation of %s", what).containsExactlyInAnyOrderEntriesOf(Map.of(
                "version", version,
                "initContainers", List.of("istio-init"),
                "containers", List.of("istio-proxy"),
                "volumes", List.of("istio-envoy", "istio-certs")));
        Map<String, Object> before = Trees.podTemplate(sample);
        Map<String, Object> after = Trees.podTemplate(live);
        assertThat(Trees.string(after, "metadata", "annotations", Trees.STATUS_ANNOTATION))
                .as("status annotation on the pod template of %s", what)
                .isEqualTo(Trees.annotation(live, Trees.STATUS_ANNOTATION));
        assertThat(Trees.containerNames(after)).as("containers of %s", what)
                .containsExactlyElementsOf(plus(Trees.containerNames(before), "istio-proxy"));
        assertThat(Trees.initContainerNames(after)).as("init containers of %s", what)
                .containsExactlyElementsOf(plus(Trees.initContainerNames(before), "istio-init"));
        assertThat(Trees.string(Trees.container(after, "istio-proxy"), "image")).as("proxy image of %s", what).isEqualTo(proxyImage);
        String serviceAccount = Trees.string(after, "spec", "serviceAccountName");
        assertThat(Trees.list(after, "spec", "volumes")).as("volumes of %s", what)
                .anySatisfy(v -> assertThat(Trees.string(v, "secret", "secretName"))
                        .isEqualTo("istio." + (serviceAccount == null ? "default" : serviceAccount)));
    }

    /** No status annotation, no sidecar: the pod template has exactly the sample's containers. */
    static void assertNotInjected(Map<String, Object> sample, Map<String, Object> live) {
        String what = Trees.kind(live) + " " + Trees.name(live);
        assertThat(Trees.annotation(live, Trees.STATUS_ANNOTATION)).as("status annotation of %s", what).isNull();
        Map<String, Object> after = Trees.podTemplate(live);
        assertThat(Trees.string(after, "metadata", "annotations", Trees.STATUS_ANNOTATION))
                .as("status annotation on the pod template of %s", what).isNull();
        assertThat(Trees.containerNames(after)).as("containers of %s", what)
                .containsExactlyElementsOf(Trees.containerNames(Trees.podTemplate(sample)));
        assertThat(Trees.initContainerNames(after)).as("init containers of %s", what)
                .containsExactlyElementsOf(Trees.initContainerNames(Trees.podTemplate(sample)));
    }

    static List<String> plus(List<String> names, String name) {
        List<String> all = new ArrayList<>(names);
        all.add(name);
        return all;
    }
}
