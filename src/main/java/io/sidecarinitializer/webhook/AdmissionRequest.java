package io.sidecarinitializer.webhook;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * The parts of an {@code AdmissionReview} request ({@code admission.k8s.io/v1} or {@code v1beta1}, which share
 * this shape) that the webhook reads. The object is kept as a plain JSON tree, so the engine sees every field.
 *
 * @param apiVersion  the review's apiVersion, mirrored in the answer
 * @param uid         {@code request.uid}, mirrored in the answer
 * @param group       {@code request.kind.group} ("" for core)
 * @param version     {@code request.kind.version}
 * @param kind        {@code request.kind.kind}
 * @param subResource {@code request.subResource}, "" when none
 * @param operation   {@code request.operation}: CREATE, UPDATE, DELETE or CONNECT
 * @param namespace   {@code request.namespace}, "" when none
 * @param object      {@code request.object}; null when absent (DELETE)
 */
public record AdmissionRequest(String apiVersion, String uid, String group, String version, String kind, String subResource,
                               String operation, String namespace, Map<String, Object> object) {
    public static final String V1 = "admission.k8s.io/v1";
    public static final String V1BETA1 = "admission.k8s.io/v1beta1";
    private static final Set<String> VERSIONS = Set.of(V1, V1BETA1);

    /** Reads a review; a body that is not one fails with a message naming the field. */
    public static AdmissionRequest parse(ObjectMapper json, byte[] body) throws MalformedReviewException {
        Object tree;
        try {
            tree = json.readValue(body, Object.class);
        } catch (JacksonException e) {
            throw new MalformedReviewException("the body is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new MalformedReviewException("the body cannot be read: " + e.getMessage());
        }
        if (!(tree instanceof Map<?, ?> review)) {
            throw new MalformedReviewException("the body is not a JSON object");
        }
        if (!"AdmissionReview".equals(review.get("kind"))) {
            throw new MalformedReviewException("kind is " + describe(review.get("kind")) + ", expected AdmissionReview");
        }
        Object apiVersion = review.get("apiVersion");
        if (!(apiVersion instanceof String v) || !VERSIONS.contains(v)) {
            throw new MalformedReviewException("apiVersion is " + describe(apiVersion) + ", expected " + V1 + " or " + V1BETA1);
        }
        if (!(review.get("request") instanceof Map<?, ?> request)) {
            throw new MalformedReviewException("request is " + describe(review.get("request")) + ", expected an object");
        }
        String uid = string(request, "uid", "request.uid");
        if (uid.isEmpty()) {
            throw new MalformedReviewException("request.uid is missing");
        }
        Map<?, ?> gvk = request.get("kind") instanceof Map<?, ?> m ? m : Map.of();
        Object object = request.get("object");
        if (object != null && !(object instanceof Map<?, ?>)) {
            throw new MalformedReviewException("request.object is " + describe(object) + ", expected an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) object;
        return new AdmissionRequest(v, uid, string(gvk, "group", "request.kind.group"), string(gvk, "version", "request.kind.version"),
                string(gvk, "kind", "request.kind.kind"), string(request, "subResource", "request.subResource"),
                string(request, "operation", "request.operation"), string(request, "namespace", "request.namespace"), typed);
    }

    /** A Pod being created, the one request that may be injected. */
    public boolean isPodCreate() {
        return group.isEmpty() && "Pod".equals(kind) && "CREATE".equals(operation) && subResource.isEmpty() && object != null;
    }

    /** The object's namespace: the request's, as a ReplicaSet's pods carry none of their own; else the object's. */
    public String effectiveNamespace() {
        if (!namespace.isEmpty()) {
            return namespace;
        }
        if (object != null && object.get("metadata") instanceof Map<?, ?> meta && meta.get("namespace") instanceof String ns) {
            return ns;
        }
        return "";
    }

    private static String string(Map<?, ?> map, String key, String field) throws MalformedReviewException {
        Object v = map.get(key);
        if (v == null) {
            return "";
        }
        if (!(v instanceof String s)) {
            throw new MalformedReviewException(field + " is " + describe(v) + ", expected a string");
        }
        return s;
    }

    private static String describe(Object value) {
        if (value == null) {
            return "missing";
        }
        if (value instanceof String s) {
            return "'" + (s.length() > 64 ? s.substring(0, 61) + "..." : s) + "'";
        }
        return value instanceof Map<?, ?> ? "an object" : value instanceof java.util.List<?> ? "a list" : "'" + value + "'";
    }
}
