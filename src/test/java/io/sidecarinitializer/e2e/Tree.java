package io.sidecarinitializer.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reading Kubernetes objects parsed from kubectl's YAML/JSON (plain maps and lists). */
final class Tree {
    static final String STATUS_ANNOTATION = "sidecar.istio.io/status";
    static final String INJECT_ANNOTATION = "sidecar.istio.io/inject";

    private Tree() {}

    /** The value at {@code keys}, or null when any step is missing. */
    static Object at(Object tree, String... keys) {
        Object node = tree;
        for (String key : keys) {
            if (!(node instanceof Map<?, ?> m)) {
                return null;
            }
            node = m.get(key);
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object tree, String... keys) {
        Object v = at(tree, keys);
        return v instanceof Map<?, ?> ? (Map<String, Object>) v : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object tree, String... keys) {
        Object v = at(tree, keys);
        return v instanceof List<?> ? (List<Map<String, Object>>) v : List.of();
    }

    static String string(Object tree, String... keys) {
        Object v = at(tree, keys);
        return v == null ? null : v.toString();
    }

    static String kind(Map<String, Object> object) {
        return string(object, "kind");
    }

    static String name(Map<String, Object> object) {
        return string(object, "metadata", "name");
    }

    static String annotation(Map<String, Object> object, String key) {
        return string(object, "metadata", "annotations", key);
    }

    /** The pod template of a workload (SPEC §4): CronJob's is one level further down. */
    static Map<String, Object> podTemplate(Map<String, Object> workload) {
        return "CronJob".equals(kind(workload))
                ? map(workload, "spec", "jobTemplate", "spec", "template")
                : map(workload, "spec", "template");
    }

    static List<String> names(List<Map<String, Object>> items) {
        List<String> names = new ArrayList<>();
        for (Map<String, Object> item : items) {
            names.add(string(item, "name"));
        }
        return names;
    }

    static List<String> containerNames(Map<String, Object> podTemplate) {
        return names(list(podTemplate, "spec", "containers"));
    }

    static List<String> initContainerNames(Map<String, Object> podTemplate) {
        return names(list(podTemplate, "spec", "initContainers"));
    }

    static Map<String, Object> container(Map<String, Object> podTemplate, String name) {
        for (Map<String, Object> c : list(podTemplate, "spec", "containers")) {
            if (name.equals(c.get("name"))) {
                return c;
            }
        }
        return null;
    }
}
