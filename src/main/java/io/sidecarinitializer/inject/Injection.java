package io.sidecarinitializer.inject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What one injection adds to one workload. It can be applied to the tree in place (kube-inject) or
 * expressed as RFC 6902 JSON Patch operations against the object as read (controller, webhook), so both
 * fronts add exactly the same things.
 */
public final class Injection {
    private final Workload workload;
    private final List<Map<String, Object>> initContainers;
    private final List<Map<String, Object>> containers;
    private final List<Map<String, Object>> volumes;
    private final String status;

    Injection(Workload workload, String version, List<Map<String, Object>> initContainers,
              List<Map<String, Object>> containers, List<Map<String, Object>> volumes) {
        this.workload = workload;
        this.initContainers = initContainers;
        this.containers = containers;
        this.volumes = volumes;
        this.status = statusJson(version, initContainers, containers, volumes);
    }

    public Workload workload() {
        return workload;
    }

    /** The {@code sidecar.istio.io/status} value: JSON naming exactly what was added. */
    public String status() {
        return status;
    }

    /** Adds the sidecar to the workload's own tree; existing entries keep their order. */
    public void applyTo() {
        applyTo(UnaryOperator.identity());
    }

    /**
     * Adds the sidecar as {@link #applyTo()} does, but appends {@code substitute.apply(entry)} in place of each
     * added container and volume: kube-inject appends stand-ins for entries whose YAML it has already written.
     */
    public void applyTo(UnaryOperator<Object> substitute) {
        Map<String, Object> template = workload.template();
        Map<String, Object> spec = workload.podSpec();
        appendAll(spec, "initContainers", initContainers, substitute);
        appendAll(spec, "containers", containers, substitute);
        appendAll(spec, "volumes", volumes, substitute);
        annotate(template);
        if (workload.kind() == WorkloadKind.CRON_JOB) {
            annotate(workload.jobTemplate()); // as Istio 0.3 does, so the Jobs a CronJob makes carry it too
        }
        if (!workload.kind().templatePath().isEmpty()) {
            annotate(workload.root());
        }
    }

    /** JSON Patch operations that make the same change to the object as it was read. */
    public List<Map<String, Object>> jsonPatch() {
        String base = pointer(workload.kind().templatePath());
        List<Map<String, Object>> ops = new ArrayList<>();
        Map<String, Object> spec = workload.podSpec();
        appendOps(ops, base + "/spec/initContainers", spec.get("initContainers"), initContainers);
        appendOps(ops, base + "/spec/containers", spec.get("containers"), containers);
        appendOps(ops, base + "/spec/volumes", spec.get("volumes"), volumes);
        annotateOps(ops, base, workload.template());
        if (workload.kind() == WorkloadKind.CRON_JOB) {
            annotateOps(ops, "/spec/jobTemplate", workload.jobTemplate());
        }
        if (!workload.kind().templatePath().isEmpty()) {
            annotateOps(ops, "", workload.root());
        }
        return ops;
    }

    private static void appendAll(Map<String, Object> spec, String key, List<Map<String, Object>> items,
                                  UnaryOperator<Object> substitute) {
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) spec.computeIfAbsent(key, k -> new ArrayList<>(items.size()));
        for (Map<String, Object> item : items) {
            list.add(substitute.apply(item));
        }
    }

    private void annotate(Map<String, Object> object) {
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
        if (meta == null) {
            meta = new LinkedHashMap<>();
            putFirst(object, "metadata", meta);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> annotations = (Map<String, Object>) meta.get("annotations");
        if (annotations == null) {
            annotations = new LinkedHashMap<>();
            putFirst(meta, "annotations", annotations);
        }
        annotations.put(InjectionDecision.STATUS_ANNOTATION, status);
    }

    /** kubectl prints metadata first and annotations first within it; new keys go where a reader looks. */
    private static void putFirst(Map<String, Object> map, String key, Object value) {
        Map<String, Object> rest = new LinkedHashMap<>(map);
        map.clear();
        map.put(key, value);
        map.putAll(rest);
    }

    private static void appendOps(List<Map<String, Object>> ops, String path, Object existing, List<Map<String, Object>> items) {
        if (existing == null) {
            ops.add(op("add", path, new ArrayList<Object>(items)));
        } else {
            for (Map<String, Object> item : items) {
                ops.add(op("add", path + "/-", item));
            }
        }
    }

    private void annotateOps(List<Map<String, Object>> ops, String base, Map<String, Object> object) {
        Object meta = object.get("metadata");
        if (meta == null) {
            ops.add(op("add", base + "/metadata", Map.of("annotations", Map.of(InjectionDecision.STATUS_ANNOTATION, status))));
        } else if (((Map<?, ?>) meta).get("annotations") == null) {
            ops.add(op("add", base + "/metadata/annotations", Map.of(InjectionDecision.STATUS_ANNOTATION, status)));
        } else {
            ops.add(op("add", base + "/metadata/annotations/" + escape(InjectionDecision.STATUS_ANNOTATION), status));
        }
    }

    public static Map<String, Object> op(String op, String path, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", op);
        m.put("path", path);
        if (!"remove".equals(op)) {
            m.put("value", value);
        }
        return m;
    }

    /** RFC 6901 pointer for a list of keys. */
    public static String pointer(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            sb.append('/').append(escape(k));
        }
        return sb.toString();
    }

    public static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static String statusJson(String version, List<Map<String, Object>> inits,
                                     List<Map<String, Object>> containers, List<Map<String, Object>> volumes) {
        return "{\"version\":" + quote(version)
                + ",\"initContainers\":" + names(inits)
                + ",\"containers\":" + names(containers)
                + ",\"volumes\":" + names(volumes) + "}";
    }

    private static String names(List<Map<String, Object>> items) {
        StringBuilder sb = new StringBuilder("[");
        for (Map<String, Object> item : items) {
            sb.append(sb.length() > 1 ? "," : "").append(quote(String.valueOf(item.get("name"))));
        }
        return sb.append(']').toString();
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
