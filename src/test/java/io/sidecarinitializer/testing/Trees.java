package io.sidecarinitializer.testing;

import io.sidecarinitializer.initializer.PendingInitializers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads Kubernetes objects held as JSON trees (plain maps and lists), for assertions. */
public final class Trees {
    public static final String STATUS_ANNOTATION = "sidecar.istio.io/status";
    public static final String INJECT_ANNOTATION = "sidecar.istio.io/inject";

    private Trees() {}

    /** The value at {@code keys}, or null when any step is missing. */
    public static Object at(Object tree, String... keys) {
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
    public static Map<String, Object> map(Object tree, String... keys) {
        Object v = at(tree, keys);
        return v instanceof Map<?, ?> ? (Map<String, Object>) v : Map.of();
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> list(Object tree, String... keys) {
        Object v = at(tree, keys);
        return v instanceof List<?> ? (List<Map<String, Object>>) v : List.of();
    }

    public static String string(Object tree, String... keys) {
        Object v = at(tree, keys);
        return v == null ? null : v.toString();
    }

    public static String kind(Map<String, Object> object) {
        return string(object, "kind");
    }

    public static String name(Map<String, Object> object) {
        return string(object, "metadata", "name");
    }

    public static String annotation(Map<String, Object> object, String key) {
        return string(object, "metadata", "annotations", key);
    }

    /** The pod template of a workload (SPEC §4): CronJob's is one level further down. */
    public static Map<String, Object> podTemplate(Map<String, Object> workload) {
        return "CronJob".equals(kind(workload))
                ? map(workload, "spec", "jobTemplate", "spec", "template")
                : map(workload, "spec", "template");
    }

    public static List<String> names(List<Map<String, Object>> items) {
        List<String> names = new ArrayList<>();
        for (Map<String, Object> item : items) {
            names.add(string(item, "name"));
        }
        return names;
    }

    public static List<String> containerNames(Map<String, Object> podTemplate) {
        return names(list(podTemplate, "spec", "containers"));
    }

    public static List<String> initContainerNames(Map<String, Object> podTemplate) {
        return names(list(podTemplate, "spec", "initContainers"));
    }

    public static Map<String, Object> container(Map<String, Object> podTemplate, String name) {
        for (Map<String, Object> c : list(podTemplate, "spec", "containers")) {
            if (name.equals(c.get("name"))) {
                return c;
            }
        }
        return null;
    }


    public static Map<String, Object> podSpec(Map<String, Object> tree) {
        Object spec = "CronJob".equals(tree.get("kind"))
                ? at(tree, "spec", "jobTemplate", "spec", "template", "spec")
                : at(tree, "spec", "template", "spec");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) spec;
        return m;
    }

    public static List<String> names(Map<String, Object> tree, String list) {
        List<String> names = new ArrayList<>();
        Object items = podSpec(tree).get(list);
        if (items instanceof List<?> l) {
            l.forEach(i -> names.add(String.valueOf(((Map<?, ?>) i).get("name"))));
        }
        return names;
    }

    public static List<String> containers(Map<String, Object> tree) {
        return names(tree, "containers");
    }

    /** The pending initializer names; empty once initialized. */
    public static List<String> pending(Map<String, Object> tree) {
        return PendingInitializers.of(tree).names();
    }

    public static boolean initialized(Map<String, Object> tree) {
        return tree != null && at(tree, "metadata", "initializers") == null;
    }

    public static String proxyImage(Map<String, Object> tree) {
        Object items = podSpec(tree).get("containers");
        if (items instanceof List<?> l) {
            for (Object c : l) {
                if ("istio-proxy".equals(((Map<?, ?>) c).get("name"))) {
                    return String.valueOf(((Map<?, ?>) c).get("image"));
                }
            }
        }
        return null;
    }
}
