package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Trees;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Takes an injection back out of kubectl's JSON of an injected object: exactly the init containers, containers and
 * volumes its {@code sidecar.istio.io/status} annotation names, and that annotation where SPEC §4 puts it. Nothing
 * else is touched, so any other change kube-inject made stays visible. A list or map that only the injection
 * created (empty once its additions are gone) is put back as the input had it: absent, null or empty.
 */
final class SidecarAdditions {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SidecarAdditions() {}

    /** {@code injected} without the sidecar, compared against {@code original}; a copy, unless nothing was injected. */
    static JsonNode remove(JsonNode injected, JsonNode original) {
        String status = injected.path("metadata").path("annotations").path(Trees.STATUS_ANNOTATION).asText(null);
        if (status == null || status.equals(original.path("metadata").path("annotations").path(Trees.STATUS_ANNOTATION).asText(null))) {
            return injected;
        }
        JsonNode added;
        try {
            added = JSON.readTree(status);
        } catch (JsonProcessingException e) {
            throw new AssertionError("the status annotation is not JSON: " + status, e);
        }
        ObjectNode out = injected.deepCopy();
        String kind = out.path("kind").asText();
        List<String> template = kind.equals("Pod") ? List.of()
                : kind.equals("CronJob") ? List.of("spec", "jobTemplate", "spec", "template") : List.of("spec", "template");
        List<String> podSpec = concat(template, "spec");
        removeNamed(out, original, concat(podSpec, "initContainers"), names(added, "initContainers"));
        removeNamed(out, original, concat(podSpec, "containers"), names(added, "containers"));
        removeNamed(out, original, concat(podSpec, "volumes"), names(added, "volumes"));
        removeStatus(out, original, List.of("metadata"));
        if (!template.isEmpty()) {
            removeStatus(out, original, concat(template, "metadata"));
        }
        if (kind.equals("CronJob")) {
            removeStatus(out, original, List.of("spec", "jobTemplate", "metadata"));
        }
        return out;
    }

    private static void removeStatus(ObjectNode root, JsonNode original, List<String> metadata) {
        List<String> annotations = concat(metadata, "annotations");
        if (at(root, annotations) instanceof ObjectNode a && !original.at(pointer(annotations)).has(Trees.STATUS_ANNOTATION)) {
            a.remove(Trees.STATUS_ANNOTATION);
            restoreIfEmptied(root, original, annotations);
            restoreIfEmptied(root, original, metadata);
        }
    }

    private static void removeNamed(ObjectNode root, JsonNode original, List<String> path, Set<String> names) {
        if (names.isEmpty() || !(at(root, path) instanceof ArrayNode list)) {
            return;
        }
        Set<String> before = new HashSet<>();
        original.at(pointer(path)).forEach(e -> before.add(e.path("name").asText()));
        for (Iterator<JsonNode> it = list.elements(); it.hasNext(); ) {
            String name = it.next().path("name").asText();
            if (names.contains(name) && !before.contains(name)) {
                it.remove();
            }
        }
        restoreIfEmptied(root, original, path);
    }

    /** An empty list or map at {@code path} becomes what the original had there. */
    private static void restoreIfEmptied(ObjectNode root, JsonNode original, List<String> path) {
        JsonNode node = at(root, path);
        if (node == null || !node.isContainerNode() || !node.isEmpty()) {
            return;
        }
        ObjectNode parent = (ObjectNode) at(root, path.subList(0, path.size() - 1));
        String key = path.get(path.size() - 1);
        JsonNode was = original.at(pointer(path));
        if (was.isMissingNode()) {
            parent.remove(key);
        } else {
            parent.set(key, was.deepCopy());
        }
    }

    private static Set<String> names(JsonNode status, String field) {
        Set<String> names = new HashSet<>();
        status.path(field).forEach(n -> names.add(n.asText()));
        return names;
    }

    private static JsonNode at(JsonNode root, List<String> path) {
        JsonNode n = root.at(pointer(path));
        return n.isMissingNode() ? null : n;
    }

    private static String pointer(List<String> path) {
        StringBuilder p = new StringBuilder();
        for (String key : path) {
            p.append('/').append(key.replace("~", "~0").replace("/", "~1"));
        }
        return p.toString();
    }

    private static List<String> concat(List<String> path, String key) {
        return java.util.stream.Stream.concat(path.stream(), java.util.stream.Stream.of(key)).toList();
    }
}
