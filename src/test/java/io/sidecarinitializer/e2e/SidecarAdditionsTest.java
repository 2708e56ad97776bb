package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The differential test's judges: they must take out exactly the sidecar, and see any other change. */
class SidecarAdditionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STATUS = "{\\\"version\\\":\\\"1\\\",\\\"initContainers\\\":[\\\"istio-init\\\"],"
            + "\\\"containers\\\":[\\\"istio-proxy\\\"],\\\"volumes\\\":[\\\"istio-envoy\\\"]}";
    private static final String ORIGINAL = """
            {"kind":"Deployment","metadata":{"name":"a"},"spec":{"template":{"metadata":{"labels":{"app":"a"}},
             "spec":{"containers":[{"name":"app","env":[{"name":"X","value":"y"}]}]}}}}""";

    private static String injected(String envValue) {
        return """
                {"kind":"Deployment","metadata":{"name":"a","annotations":{"sidecar.istio.io/status":"%1$s"}},
                 "spec":{"template":{"metadata":{"labels":{"app":"a"},"annotations":{"sidecar.istio.io/status":"%1$s"}},
                 "spec":{"initContainers":[{"name":"istio-init"}],
                  "containers":[{"name":"app","env":[{"name":"X","value":%2$s}]},{"name":"istio-proxy"}],
                  "volumes":[{"name":"istio-envoy"}]}}}}""".formatted(STATUS, envValue);
    }

    @Test
    void removingTheNamedAdditionsGivesTheOriginalBack() throws Exception {
        JsonNode original = JSON.readTree(ORIGINAL);
        JsonNode restored = SidecarAdditions.remove(JSON.readTree(injected("\"y\"")), original);
        assertThat(FirstDifference.of(original, restored)).isNull();
    }

    @Test
    void aValueThatChangedMeaningIsStillThereAfterTheRemoval() throws Exception {
        JsonNode original = JSON.readTree(ORIGINAL);
        JsonNode restored = SidecarAdditions.remove(JSON.readTree(injected("true")), original);
        assertThat(FirstDifference.of(original, restored))
                .isEqualTo(".spec.template.spec.containers[0].env[0].value: input \"y\", output true");
    }

    @Test
    void onlyWhatTheAnnotationNamesIsRemoved() throws Exception {
        JsonNode original = JSON.readTree(ORIGINAL);
        String extra = injected("\"y\"").replace("{\"name\":\"istio-proxy\"}", "{\"name\":\"istio-proxy\"},{\"name\":\"stray\"}");
        assertThat(FirstDifference.of(original, SidecarAdditions.remove(JSON.readTree(extra), original)))
                .isEqualTo(".spec.template.spec.containers: 1 elements in the input, 2 in the output");
    }

    @Test
    void aByteDifferenceIsReportedWithItsLine() {
        byte[] in = "a: 1\nb: \"y\"\n".getBytes(StandardCharsets.UTF_8);
        byte[] out = "a: 1\nb: y\n".getBytes(StandardCharsets.UTF_8);
        assertThat(FirstDifference.of(in, in.clone())).isNull();
        assertThat(FirstDifference.of(in, out)).isEqualTo("byte 8 (line 2) of 12/10: input \"b: \"y\"\\x0a\", output \"b: y\\x0a\"");
    }

    @Test
    void documentsAreCutAtTheirMarkerLinesOnly() {
        byte[] stream = "a: 1\n---\nb: |\n  --- not a marker\n--- # c\nc: 3\n---x: no\n".getBytes(StandardCharsets.ISO_8859_1);
        List<String> docs = YamlDocumentBytes.split(stream).stream().map(b -> new String(b, StandardCharsets.ISO_8859_1)).toList();
        assertThat(docs).containsExactly("a: 1\n", "---\nb: |\n  --- not a marker\n", "--- # c\nc: 3\n---x: no\n");
    }
}
