package io.sidecarinitializer.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.zjsonpatch.JsonPatch;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.MeshConfig;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.yaml.KubeYaml;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** AdmissionReview requests built from pod YAML, and what the answers say, for the webhook tests. */
final class Reviews {
    static final ObjectMapper JSON = new ObjectMapper();

    private Reviews() {}

    static Injector injector(String configYaml) {
        return new Injector(InjectConfigParser.parse(configYaml + "\nparams:\n  version: golden\n"), MeshConfig.defaults());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> pod(String yaml) {
        return (Map<String, Object>) new KubeYaml().load(yaml);
    }

    /** A Pod {@code operation} review of {@code apiVersion} for {@code pod} in request.namespace {@code namespace} (null: none). */
    static byte[] review(String apiVersion, String operation, String namespace, Map<String, Object> pod) {
        Map<String, Object> kind = new LinkedHashMap<>();
        kind.put("group", "");
        kind.put("version", "v1");
        kind.put("kind", "Pod");
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("uid", "705ab4f5-6393-11e8-b7cc-42010a800002");
        request.put("kind", kind);
        request.put("resource", Map.of("group", "", "version", "v1", "resource", "pods"));
        if (namespace != null) {
            request.put("namespace", namespace);
        }
        request.put("operation", operation);
        request.put("object", pod);
        Map<String, Object> review = new LinkedHashMap<>();
        review.put("apiVersion", apiVersion);
        review.put("kind", "AdmissionReview");
        review.put("request", request);
        return bytes(review);
    }

    static byte[] podCreate(String namespace, Map<String, Object> pod) {
        return review(AdmissionRequest.V1, "CREATE", namespace, pod);
    }

    static AdmissionRequest parse(byte[] review) {
        try {
            return AdmissionRequest.parse(JSON, review);
        } catch (MalformedReviewException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] bytes(Object tree) {
        try {
            return JSON.writeValueAsBytes(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode tree(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The decoded JSON Patch of an answer. */
    static JsonNode patch(AdmissionResponse response) {
        return tree(response.patch());
    }

    /** The pod as the API server stores it: the answer's patch applied by an RFC 6902 library. */
    static JsonNode patched(Map<String, Object> pod, AdmissionResponse response) {
        return JsonPatch.apply(patch(response), JSON.valueToTree(pod));
    }
}
