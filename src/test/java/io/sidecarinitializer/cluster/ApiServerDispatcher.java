package io.sidecarinitializer.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * fabric8's CRUD mock server, plus what a real kube-apiserver does that the controller relies on and the
 * CRUD dispatcher lacks: discovery documents, Self*Reviews, and a 422 for a JSON Patch whose {@code test}
 * fails (the plain mock throws, which leaves the request unanswered). It records every request with its
 * status, so tests can count PATCHes per object, and can run a concurrent edit just before a PATCH.
 */
public final class ApiServerDispatcher extends KubernetesCrudDispatcher {
    /** One request as the server saw it. */
    public record Seen(String method, String path, String query, int status, String body, long atMillis) {}

    private final Map<String, Set<String>> served;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();
    private final Map<String, String> forbidden = new ConcurrentHashMap<>();
    private final Map<String, Consumer<ApiServerDispatcher>> beforePatch = new ConcurrentHashMap<>();
    private volatile Predicate<String> rejectPatchBody = body -> false;

    /** @param served group/version (or {@code v1}) to the resources it serves */
    public ApiServerDispatcher(Map<String, Set<String>> served) {
        this.served = served;
    }

    public static Map<String, Set<String>> modernApis() {
        Map<String, Set<String>> apis = new LinkedHashMap<>();
        apis.put("v1", Set.of("configmaps", "events", "namespaces", "pods", "replicationcontrollers"));
        apis.put("apps/v1", Set.of("deployments", "statefulsets", "daemonsets", "replicasets"));
        apis.put("batch/v1", Set.of("jobs", "cronjobs"));
        apis.put("coordination.k8s.io/v1", Set.of("leases"));
        apis.put("authorization.k8s.io/v1", Set.of("selfsubjectaccessreviews", "selfsubjectrulesreviews"));
        return apis;
    }

    /** A 1.13-like server: Initializers served, CronJob only in batch/v1beta1. */
    public static Map<String, Set<String>> initializerApis() {
        Map<String, Set<String>> apis = modernApis();
        apis.put("batch/v1", Set.of("jobs"));
        apis.put("batch/v1beta1", Set.of("cronjobs"));
        apis.put("admissionregistration.k8s.io/v1alpha1", Set.of("initializerconfigurations"));
        return apis;
    }

    /** Makes SelfSubjectAccessReviews deny {@code "verb resource[.group]"}, e.g. {@code "patch deployments.apps"}. */
    public void deny(String verbAndResource) {
        denied.add(verbAndResource);
    }

    /** Answers 403 Forbidden, worded as kube-apiserver words it, to GETs of paths starting with {@code prefix}. */
    public void forbidGets(String prefix, String message) {
        forbidden.put(prefix, message);
    }

    /** Answers 422 Invalid, like a validating API server, to PATCHes whose body matches. */
    public void rejectPatchesWhere(Predicate<String> body) {
        rejectPatchBody = body;
    }

    /** Runs {@code edit} once, just before the next PATCH to a path ending in {@code objectPath} is applied. */
    public void beforeNextPatch(String objectPath, Consumer<ApiServerDispatcher> edit) {
        beforePatch.put(objectPath, edit);
    }

    /** Applies a JSON Patch directly, as another client would. */
    public MockResponse applyJsonPatch(String path, String ops) {
        return patch(new RecordedRequest("HTTP/1.1", HttpMethod.PATCH, path,
                Headers.builder().add("Content-Type", "application/json-patch+json").build(),
                new Buffer(ops.getBytes(StandardCharsets.UTF_8))));
    }

    public List<Seen> requests() {
        return List.copyOf(seen);
    }

    /** PATCH requests to one object: {@code /apis/apps/v1/namespaces/ns/deployments/name}. */
    public List<Seen> patchesTo(String objectPath) {
        return seen.stream().filter(s -> s.method().equals("PATCH") && s.path().equals(objectPath)).toList();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        URI uri = URI.create(request.getPath());
        String path = uri.getRawPath();
        String body = request.getBody() == null ? "" : new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
        MockResponse response;
        String forbiddenMessage = request.method() == HttpMethod.GET ? forbidden.entrySet().stream()
                .filter(f -> path.startsWith(f.getKey())).map(Map.Entry::getValue).findFirst().orElse(null) : null;
        if (forbiddenMessage != null) {
            response = status(403, "Forbidden", forbiddenMessage);
        } else if (request.method() == HttpMethod.GET && isDiscovery(path)) {
            response = discovery(path);
        } else if (request.method() == HttpMethod.POST && path.endsWith("/selfsubjectaccessreviews")) {
            response = accessReview(body);
        } else if (request.method() == HttpMethod.POST && path.endsWith("/selfsubjectrulesreviews")) {
            response = json(201, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectRulesReview\",\"status\":"
                    + "{\"incomplete\":false,\"resourceRules\":[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}],"
                    + "\"nonResourceRules\":[]}}");
        } else if (request.method() == HttpMethod.PATCH) {
            Consumer<ApiServerDispatcher> edit = beforePatch.keySet().stream().filter(path::endsWith).findFirst()
                    .map(beforePatch::remove).orElse(null);
            if (edit != null) {
                edit.accept(this);
            }
            response = rejectPatchBody.test(body)
                    ? status(422, "Invalid", "the object is invalid (rejected by the test server)")
                    : patch(request);
        } else {
            response = super.dispatch(request);
        }
        seen.add(new Seen(request.method().name(), path, uri.getRawQuery(), response == null ? 0 : response.code(), body,
                System.currentTimeMillis()));
        return response;
    }

    private MockResponse patch(RecordedRequest request) {
        try {
            return super.dispatch(request);
        } catch (RuntimeException e) {
            // kube-apiserver answers 422 when a JSON Patch cannot be applied, a failed test included.
            return status(422, "Invalid", "the server rejected our request due to an error in our request: " + e.getMessage());
        }
    }

    private boolean isDiscovery(String path) {
        return path.equals("/api") || path.equals("/api/v1") || path.equals("/apis") || path.matches("/apis/[^/]+/[^/]+");
    }

    private MockResponse discovery(String path) {
        ObjectNode doc = Serialization.jsonMapper().createObjectNode();
        if (path.equals("/api")) {
            doc.put("kind", "APIVersions").putArray("versions").add("v1");
            return json(200, doc.toString());
        }
        if (path.equals("/apis")) {
            doc.put("kind", "APIGroupList").put("apiVersion", "v1");
            ArrayNode groups = doc.putArray("groups");
            Map<String, List<String>> versions = new LinkedHashMap<>();
            served.keySet().stream().filter(gv -> gv.contains("/"))
                    .forEach(gv -> versions.computeIfAbsent(gv.substring(0, gv.indexOf('/')), g -> new ArrayList<>()).add(gv));
            versions.forEach((group, gvs) -> {
                ObjectNode g = groups.addObject().put("name", group);
                ArrayNode vs = g.putArray("versions");
                gvs.forEach(gv -> vs.addObject().put("groupVersion", gv).put("version", gv.substring(gv.indexOf('/') + 1)));
                g.set("preferredVersion", vs.get(0));
            });
            return json(200, doc.toString());
        }
        String groupVersion = path.equals("/api/v1") ? "v1" : path.substring("/apis/".length());
        Set<String> resources = served.get(groupVersion);
        if (resources == null) {
            return status(404, "NotFound", "the server could not find the requested resource");
        }
        doc.put("kind", "APIResourceList").put("apiVersion", "v1").put("groupVersion", groupVersion);
        ArrayNode list = doc.putArray("resources");
        for (String r : resources) {
            list.addObject().put("name", r).put("namespaced", true).put("kind", r)
                    .putArray("verbs").add("get").add("list").add("watch").add("create").add("update").add("patch");
        }
        return json(200, doc.toString());
    }

    private MockResponse accessReview(String body) {
        try {
            JsonNode review = Serialization.jsonMapper().readTree(body);
            JsonNode attrs = review.path("spec").path("resourceAttributes");
            String group = attrs.path("group").asText("");
            String resource = attrs.path("resource").asText() + (group.isEmpty() ? "" : "." + group);
            boolean allowed = !denied.contains(attrs.path("verb").asText() + " " + resource);
            ((ObjectNode) review).putObject("status").put("allowed", allowed);
            return json(201, review.toString());
        } catch (Exception e) {
            return status(400, "BadRequest", e.getMessage());
        }
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body);
    }

    private static MockResponse status(int code, String reason, String message) {
        ObjectNode status = Serialization.jsonMapper().createObjectNode()
                .put("apiVersion", "v1").put("kind", "Status").put("status", "Failure")
                .put("message", message).put("reason", reason).put("code", code);
        return json(code, status.toString());
    }
}
