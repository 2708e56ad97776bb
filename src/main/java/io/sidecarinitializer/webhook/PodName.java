package io.sidecarinitializer.webhook;

import java.util.List;
import java.util.Map;

/**
 * How log lines name a pod under admission: {@code ns/name}, or {@code ns/generateName*} for a pod a controller
 * creates (it has no name yet), and its owner from {@code ownerReferences} (the controlling one first).
 */
record PodName(String namespace, String name, String owner) {
    static PodName of(Map<String, Object> pod, String namespace) {
        Map<?, ?> meta = pod.get("metadata") instanceof Map<?, ?> m ? m : Map.of();
        String name = meta.get("name") instanceof String n && !n.isEmpty() ? n
                : meta.get("generateName") instanceof String g ? g + "*" : "";
        return new PodName(namespace, name, owner(meta.get("ownerReferences")));
    }

    private static String owner(Object references) {
        if (!(references instanceof List<?> list) || list.isEmpty()) {
            return "none";
        }
        Object chosen = list.get(0);
        for (Object r : list) {
            if (r instanceof Map<?, ?> m && Boolean.TRUE.equals(m.get("controller"))) {
                chosen = r;
                break;
            }
        }
        return chosen instanceof Map<?, ?> m ? m.get("kind") + "/" + m.get("name") : "none";
    }

    @Override
    public String toString() {
        return (namespace.isEmpty() ? "" : namespace + "/") + name;
    }
}
