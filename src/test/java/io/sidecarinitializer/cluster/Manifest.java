package io.sidecarinitializer.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds workload objects as JSON trees, optionally with pending initializers. */
public final class Manifest {
    public static final String OURS = "sidecar.initializer.istio.io";

    final String apiVersion;
    final String kind;
    final String plural;
    final String namespace;
    public final String name;
    private final List<String> pending = new ArrayList<>();
    private final Map<String, Object> annotations = new LinkedHashMap<>();
    private Object podSpecOverride;
    private boolean hostNetwork;

    private Manifest(String apiVersion, String kind, String plural, String namespace, String name) {
        this.apiVersion = apiVersion;
        this.kind = kind;
        this.plural = plural;
        this.namespace = namespace;
        this.name = name;
    }

    public static Manifest deployment(String namespace, String name) {
        return new Manifest("apps/v1", "Deployment", "deployments", namespace, name);
    }

    public static Manifest statefulSet(String namespace, String name) {
        return new Manifest("apps/v1", "StatefulSet", "statefulsets", namespace, name);
    }

    public static Manifest daemonSet(String namespace, String name) {
        return new Manifest("apps/v1", "DaemonSet", "daemonsets", namespace, name);
    }

    public static Manifest job(String namespace, String name) {
        return new Manifest("batch/v1", "Job", "jobs", namespace, name);
    }

    public static Manifest cronJob(String apiVersion, String namespace, String name) {
        return new Manifest(apiVersion, "CronJob", "cronjobs", namespace, name);
    }

    public static Manifest replicaSet(String namespace, String name) {
        return new Manifest("apps/v1", "ReplicaSet", "replicasets", namespace, name);
    }

    public Manifest pending(String... names) {
        pending.addAll(List.of(names));
        return this;
    }

    public Manifest annotate(String key, String value) {
        annotations.put(key, value);
        return this;
    }

    public Manifest hostNetwork() {
        hostNetwork = true;
        return this;
    }

    /** Replaces the pod spec with anything, to build objects the engine cannot read. */
    public Manifest podSpec(Object spec) {
        podSpecOverride = spec;
        return this;
    }

    /** {@code /apis/apps/v1/namespaces/ns/deployments/name}: the path PATCHes go to. */
    public String path() {
        return (apiVersion.contains("/") ? "/apis/" : "/api/") + apiVersion + "/namespaces/" + namespace + "/" + plural + "/" + name;
    }

    public Map<String, Object> tree() {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("name", name);
        meta.put("namespace", namespace);
        if (!annotations.isEmpty()) {
            meta.put("annotations", new LinkedHashMap<>(annotations));
        }
        if (!pending.isEmpty()) {
            List<Object> entries = new ArrayList<>();
            pending.forEach(p -> entries.add(new LinkedHashMap<>(Map.of("name", p))));
            meta.put("initializers", new LinkedHashMap<>(Map.of("pending", entries)));
        }
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", "app");
        container.put("image", "nginx:1.25");
        Map<String, Object> podSpec = new LinkedHashMap<>();
        podSpec.put("containers", new ArrayList<>(List.of(container)));
        if (hostNetwork) {
            podSpec.put("hostNetwork", true);
        }
        if (kind.equals("Job") || kind.equals("CronJob")) {
            podSpec.put("restartPolicy", "Never");
        }
        Map<String, Object> template = new LinkedHashMap<>();
        template.put("metadata", new LinkedHashMap<>(Map.of("labels", new LinkedHashMap<>(Map.of("app", name)))));
        template.put("spec", podSpecOverride != null ? podSpecOverride : podSpec);
        Map<String, Object> spec = new LinkedHashMap<>();
        if (kind.equals("CronJob")) {
            spec.put("schedule", "*/5 * * * *");
            spec.put("jobTemplate", new LinkedHashMap<>(Map.of("spec", new LinkedHashMap<>(Map.of("template", template)))));
        } else {
            if (!kind.equals("Job") && !kind.equals("DaemonSet")) {
                spec.put("replicas", 1);
            }
            spec.put("selector", new LinkedHashMap<>(Map.of("matchLabels", new LinkedHashMap<>(Map.of("app", name)))));
            spec.put("template", template);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("apiVersion", apiVersion);
        root.put("kind", kind);
        root.put("metadata", meta);
        root.put("spec", spec);
        return root;
    }
}
