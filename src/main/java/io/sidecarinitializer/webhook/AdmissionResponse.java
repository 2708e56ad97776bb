package io.sidecarinitializer.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the webhook answers for one request: allowed with an optional JSON Patch, optional warnings, or denied
 * with a status. Written as an {@code AdmissionReview} of the request's own apiVersion, with its uid; Jackson
 * writes the patch's bytes straight out as base64, as the review carries it.
 *
 * @param allowed  whether the API server may go on
 * @param patch    the JSON Patch, as JSON; null for none
 * @param warnings shown to the client (kubectl prints them); empty for none
 * @param code     HTTP-like status code of a denial; 0 when allowed
 * @param message  why a request was denied; null when allowed
 */
public record AdmissionResponse(boolean allowed, byte[] patch, List<String> warnings, int code, String message) {
    public static AdmissionResponse allow() {
        return new AdmissionResponse(true, null, List.of(), 0, null);
    }

    public static AdmissionResponse patch(byte[] jsonPatch) {
        return new AdmissionResponse(true, jsonPatch, List.of(), 0, null);
    }

    public static AdmissionResponse warn(String warning) {
        return new AdmissionResponse(true, null, List.of(warning), 0, null);
    }

    public static AdmissionResponse deny(int code, String message) {
        return new AdmissionResponse(false, null, List.of(), code, message);
    }

    /** The whole review to send back, mirroring the request's apiVersion and uid. */
    public byte[] toReview(ObjectMapper json, String apiVersion, String uid) {
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("uid", uid);
        response.put("allowed", allowed);
        if (patch != null) {
            response.put("patchType", "JSONPatch");
            response.put("patch", patch);
        }
        if (!allowed) {
            Map<String, Object> status = new LinkedHashMap<>();
            status.put("code", code);
            status.put("message", message);
            response.put("status", status);
        }
        if (!warnings.isEmpty()) {
            response.put("warnings", warnings);
        }
        Map<String, Object> review = new LinkedHashMap<>();
        review.put("apiVersion", apiVersion);
        review.put("kind", "AdmissionReview");
        review.put("response", response);
        try {
            return json.writeValueAsBytes(review);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an AdmissionReview: " + e.getMessage(), e);
        }
    }
}
