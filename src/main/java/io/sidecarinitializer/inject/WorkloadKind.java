package io.sidecarinitializer.inject;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The kinds we inject into, the API versions each is served under, and where each keeps its pod template. */
public enum WorkloadKind {
    DEPLOYMENT("Deployment", List.of("spec", "template"), "apps/v1", "apps/v1beta1", "apps/v1beta2", "extensions/v1beta1"),
    STATEFUL_SET("StatefulSet", List.of("spec", "template"), "apps/v1", "apps/v1beta1", "apps/v1beta2"),
    DAEMON_SET("DaemonSet", List.of("spec", "template"), "apps/v1", "apps/v1beta2", "extensions/v1beta1"),
    REPLICA_SET("ReplicaSet", List.of("spec", "template"), "apps/v1", "apps/v1beta2", "extensions/v1beta1"),
    REPLICATION_CONTROLLER("ReplicationController", List.of("spec", "template"), "v1"),
    JOB("Job", List.of("spec", "template"), "batch/v1"),
    CRON_JOB("CronJob", List.of("spec", "jobTemplate", "spec", "template"), "batch/v1", "batch/v1beta1", "batch/v2alpha1"),
    POD("Pod", List.of(), "v1");

    private final String kind;
    private final List<String> templatePath;
    private final Set<String> apiVersions;

    WorkloadKind(String kind, List<String> templatePath, String... apiVersions) {
        this.kind = kind;
        this.templatePath = templatePath;
        this.apiVersions = Set.of(apiVersions);
    }

    public static Optional<WorkloadKind> forKind(String kind) {
        for (WorkloadKind k : values()) {
            if (k.kind.equals(kind)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** The kind as the API spells it, e.g. {@code StatefulSet}. */
    public String kind() {
        return kind;
    }

    /** The lower-case name kubectl uses in {@code kind/name}. */
    public String resource() {
        return kind.toLowerCase(Locale.ROOT);
    }

    public boolean serves(String apiVersion) {
        return apiVersions.contains(apiVersion);
    }

    public Set<String> apiVersions() {
        return apiVersions;
    }

    /** Keys from the object root to its pod template; empty for a Pod, which is its own template. */
    public List<String> templatePath() {
        return templatePath;
    }
}
