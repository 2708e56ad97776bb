package io.sidecarinitializer.cluster;

import io.sidecarinitializer.initializer.PendingInitializers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads fields of objects held as JSON trees, for assertions. */
public final class Trees {
    private Trees() {}

    @SuppressWarnings("unchecked")
    public static Object at(Map<String, Object> tree, String... keys) {
        Object at = tree;
        for (String key : keys) {
            if (!(at instanceof Map<?, ?> m)) {
                return null;
            }
            at = ((Map<String, Object>) m).get(key);
        }
        return at;
    }

    public static Map<String, Object> podSpec(Map<String, Object> tree) {
        Object spec = "CronJob".equals(tree.get("kind"))
                ? at(tree, "spec", "jobTemplate", "spec", "template", "spec")
                : at(tree, "spec", "template", "spec");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) spec;
        return m;
    }

    static List<String> names(Map<String, Object> tree, String list) {
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

    public static String annotation(Map<String, Object> tree, String key) {
        Object v = at(tree, "metadata", "annotations", key);
        return v == null ? null : String.valueOf(v);
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
