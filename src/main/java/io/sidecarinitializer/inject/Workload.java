package io.sidecarinitializer.inject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A view over a workload held as a plain JSON/YAML tree (ordered maps and lists), so that fields we do not
 * model, such as {@code metadata.initializers}, survive untouched.
 */
public final class Workload {
    private final Map<String, Object> root;
    private final WorkloadKind kind;
    private final String defaultNamespace;

    private Workload(Map<String, Object> root, WorkloadKind kind, String defaultNamespace) {
        this.root = root;
        this.kind = kind;
        this.defaultNamespace = defaultNamespace;
    }

    /**
     * The object as a workload, when its kind and apiVersion are ones we inject.
     *
     * @param defaultNamespace the namespace to assume when the object names none (kubectl's current namespace)
     */
    public static Optional<Workload> of(Map<String, Object> root, String defaultNamespace) {
        if (!(root.get("kind") instanceof String k) || !(root.get("apiVersion") instanceof String v)) {
            return Optional.empty();
        }
        return WorkloadKind.forKind(k).filter(kind -> kind.serves(v)).map(kind -> new Workload(root, kind, defaultNamespace));
    }

    public Map<String, Object> root() {
        return root;
    }

    public WorkloadKind kind() {
        return kind;
    }

    /** The name (or generateName); never throws, since every error message uses it. */
    public String name() {
        if (root.get("metadata") instanceof Map<?, ?> meta) {
            Object name = meta.get("name") != null ? meta.get("name") : meta.get("generateName");
            return name == null ? "" : String.valueOf(name);
        }
        return "";
    }

    /** The namespace, or the default when the object names none; one that is not a string is an error, not the default. */
    public String namespace() {
        Object ns = root.get("metadata") instanceof Map<?, ?> meta ? meta.get("namespace") : null;
        if (ns != null && !(ns instanceof String)) {
            throw new InjectionException("metadata.namespace", displayName() + ": metadata.namespace must be a string, got " + describe(ns));
        }
        return ns == null || ((String) ns).isEmpty() ? defaultNamespace : (String) ns;
    }

    /** {@code deployment/hello}, as kubectl names objects. */
    public String displayName() {
        return kind.resource() + "/" + name();
    }

    public Optional<Map<String, Object>> metadata() {
        return Optional.ofNullable(mapAt(root, "metadata", "metadata"));
    }

    /** The object's own annotations (empty when it has none). */
    public Map<String, Object> annotations() {
        return metadata().map(m -> mapAt(m, "annotations", "metadata.annotations")).orElse(Map.of());
    }

    /** The pod template: for a Pod the object itself. Fails, naming the field, when it is missing or not a mapping. */
    public Map<String, Object> template() {
        Map<String, Object> at = root;
        StringBuilder path = new StringBuilder();
        for (String key : kind.templatePath()) {
            path.append(path.isEmpty() ? "" : ".").append(key);
            Map<String, Object> next = mapAt(at, key, path.toString());
            if (next == null) {
                throw new InjectionException(path.toString(), displayName() + ": " + path + " is missing");
            }
            at = next;
        }
        return at;
    }

    /** A CronJob's {@code spec.jobTemplate}, which exists once {@link #template()} has been found. */
    public Map<String, Object> jobTemplate() {
        return mapAt(mapAt(root, "spec", "spec"), "jobTemplate", "spec.jobTemplate");
    }

    /** Dotted path of the pod template, for messages; empty for a Pod. */
    public String templateField() {
        return String.join(".", kind.templatePath());
    }

    public Map<String, Object> templateAnnotations() {
        Map<String, Object> meta = mapAt(template(), "metadata", field("metadata"));
        return meta == null ? Map.of() : orEmpty(mapAt(meta, "annotations", field("metadata.annotations")));
    }

    public Map<String, Object> templateLabels() {
        Map<String, Object> meta = mapAt(template(), "metadata", field("metadata"));
        return meta == null ? Map.of() : orEmpty(mapAt(meta, "labels", field("metadata.labels")));
    }

    /** The pod spec; it must exist, since a pod without one cannot be created. */
    public Map<String, Object> podSpec() {
        Map<String, Object> spec = mapAt(template(), "spec", field("spec"));
        if (spec == null) {
            throw new InjectionException(field("spec"), displayName() + ": " + field("spec") + " is missing");
        }
        return spec;
    }

    /** The named items of a list in the pod spec ({@code containers}, {@code initContainers}, {@code volumes}). */
    public List<Map<String, Object>> podSpecList(String key) {
        Object v = podSpec().get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> list)) {
            throw new InjectionException(field("spec." + key), displayName() + ": " + field("spec." + key) + " must be a list, got " + describe(v));
        }
        List<Map<String, Object>> items = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                String at = field("spec." + key) + "[" + i + "]";
                throw new InjectionException(at, displayName() + ": " + at + " must be a mapping, got " + describe(list.get(i)));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> item = (Map<String, Object>) m;
            items.add(item);
        }
        return items;
    }

    /** The pod spec's {@code hostNetwork}; a value kubectl would refuse, such as the string "true", is an error. */
    public boolean hostNetwork() {
        Object v = podSpec().get("hostNetwork");
        if (v == null || v instanceof Boolean) {
            return Boolean.TRUE.equals(v);
        }
        throw new InjectionException(field("spec.hostNetwork"), displayName() + ": " + field("spec.hostNetwork") + " must be true or false, got " + describe(v));
    }

    /** The value as a message shows it: strings quoted, so {@code "true"} and {@code true} read differently. */
    static String describe(Object v) {
        if (v instanceof Map) {
            return "a mapping";
        }
        if (v instanceof List) {
            return "a list";
        }
        return v instanceof String s ? "the string '" + s + "'" : String.valueOf(v);
    }

    /** Dotted path of a field below the pod template. */
    public String field(String below) {
        String t = templateField();
        return t.isEmpty() ? below : t + "." + below;
    }

    private Map<String, Object> mapAt(Map<String, Object> parent, String key, String path) {
        Object v = parent.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new InjectionException(path, displayName() + ": " + path + " must be a mapping, got " + describe(v));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) m;
        return typed;
    }

    private static Map<String, Object> orEmpty(Map<String, Object> m) {
        return m == null ? Map.of() : m;
    }
}
