package io.sidecarinitializer.kube;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;
import io.sidecarinitializer.inject.WorkloadKind;
import java.util.List;
import java.util.Map;

/**
 * One class per served (group, version, kind) we may watch. java-operator-sdk reads a primary resource's
 * GVK from its class, and the API version to watch is only known after discovery (a 1.7 server has no
 * {@code apps/v1}), so each candidate gets a class. All of them are untyped trees underneath
 * ({@link GenericKubernetesResource}), which keeps fields today's model lacks, such as
 * {@code metadata.initializers}, from being dropped.
 */
public final class WorkloadResources {
    private WorkloadResources() {}

    /** Base of every carrier: a namespaced, untyped object. */
    public abstract static class WorkloadResource extends GenericKubernetesResource implements Namespaced {
        /**
         * Reconcile mode: the whole object's JSON, deflated, when it was read off the wire as its stand-in
         * ({@link WorkloadStore#readingStandIns}); null otherwise. Never serialized.
         */
        @JsonIgnore
        private transient byte[] deflatedJson;

        byte[] deflatedJson() {
            return deflatedJson;
        }

        void deflatedJson(byte[] deflated) {
            this.deflatedJson = deflated;
        }
    }

    /**
     * Candidate classes per kind, newest API version first; discovery picks the first one the server
     * serves. An object is stored once and served under every version, so watching one suffices.
     */
    public static final Map<WorkloadKind, List<Class<? extends WorkloadResource>>> CANDIDATES = Map.of(
            WorkloadKind.DEPLOYMENT, List.of(AppsV1Deployment.class, AppsV1beta2Deployment.class,
                    AppsV1beta1Deployment.class, ExtensionsV1beta1Deployment.class),
            WorkloadKind.STATEFUL_SET, List.of(AppsV1StatefulSet.class, AppsV1beta2StatefulSet.class,
                    AppsV1beta1StatefulSet.class),
            WorkloadKind.DAEMON_SET, List.of(AppsV1DaemonSet.class, AppsV1beta2DaemonSet.class,
                    ExtensionsV1beta1DaemonSet.class),
            WorkloadKind.JOB, List.of(BatchV1Job.class),
            WorkloadKind.REPLICA_SET, List.of(AppsV1ReplicaSet.class, AppsV1beta2ReplicaSet.class,
                    ExtensionsV1beta1ReplicaSet.class),
            WorkloadKind.REPLICATION_CONTROLLER, List.of(CoreV1ReplicationController.class),
            WorkloadKind.CRON_JOB, List.of(BatchV1CronJob.class, BatchV1beta1CronJob.class, BatchV2alpha1CronJob.class));

    /** The kinds the Istio initializer handled by default. */
    public static final List<WorkloadKind> DEFAULT_KINDS =
            List.of(WorkloadKind.DEPLOYMENT, WorkloadKind.STATEFUL_SET, WorkloadKind.JOB, WorkloadKind.DAEMON_SET);

    /** Added by {@code --all-kinds}. */
    public static final List<WorkloadKind> EXTRA_KINDS =
            List.of(WorkloadKind.REPLICA_SET, WorkloadKind.REPLICATION_CONTROLLER, WorkloadKind.CRON_JOB);

    /** An empty carrier, to fill. */
    public static <R extends WorkloadResource> R newInstance(Class<R> type) {
        try {
            return type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a " + type.getName(), e);
        }
    }

    /** Where the API server serves the type's group and version: {@code /api/v1}, {@code /apis/apps/v1}. */
    public static String apiPath(Class<? extends HasMetadata> type) {
        String g = group(type);
        return (g.isEmpty() ? "/api/" : "/apis/" + g + "/") + version(type);
    }

    public static String apiVersion(Class<? extends HasMetadata> type) {
        return HasMetadata.getApiVersion(type);
    }

    public static String plural(Class<? extends HasMetadata> type) {
        return HasMetadata.getPlural(type);
    }

    public static String group(Class<? extends HasMetadata> type) {
        String g = HasMetadata.getGroup(type);
        return g == null ? "" : g;
    }

    public static String version(Class<? extends HasMetadata> type) {
        return HasMetadata.getVersion(type);
    }

    public static String kind(Class<? extends HasMetadata> type) {
        return HasMetadata.getKind(type);
    }

    /** {@code deployments.apps}, as RBAC rules and kubectl name a resource. */
    public static String qualifiedResource(Class<? extends HasMetadata> type) {
        String g = group(type);
        return g.isEmpty() ? plural(type) : plural(type) + "." + g;
    }

    @Group("apps") @Version("v1") @Kind("Deployment") @Plural("deployments")
    public static final class AppsV1Deployment extends WorkloadResource {}

    @Group("apps") @Version("v1beta2") @Kind("Deployment") @Plural("deployments")
    public static final class AppsV1beta2Deployment extends WorkloadResource {}

    @Group("apps") @Version("v1beta1") @Kind("Deployment") @Plural("deployments")
    public static final class AppsV1beta1Deployment extends WorkloadResource {}

    @Group("extensions") @Version("v1beta1") @Kind("Deployment") @Plural("deployments")
    public static final class ExtensionsV1beta1Deployment extends WorkloadResource {}

    @Group("apps") @Version("v1") @Kind("StatefulSet") @Plural("statefulsets")
    public static final class AppsV1StatefulSet extends WorkloadResource {}

    @Group("apps") @Version("v1beta2") @Kind("StatefulSet") @Plural("statefulsets")
    public static final class AppsV1beta2StatefulSet extends WorkloadResource {}

    @Group("apps") @Version("v1beta1") @Kind("StatefulSet") @Plural("statefulsets")
    public static final class AppsV1beta1StatefulSet extends WorkloadResource {}

    @Group("apps") @Version("v1") @Kind("DaemonSet") @Plural("daemonsets")
    public static final class AppsV1DaemonSet extends WorkloadResource {}

    @Group("apps") @Version("v1beta2") @Kind("DaemonSet") @Plural("daemonsets")
    public static final class AppsV1beta2DaemonSet extends WorkloadResource {}

    @Group("extensions") @Version("v1beta1") @Kind("DaemonSet") @Plural("daemonsets")
    public static final class ExtensionsV1beta1DaemonSet extends WorkloadResource {}

    @Group("batch") @Version("v1") @Kind("Job") @Plural("jobs")
    public static final class BatchV1Job extends WorkloadResource {}

    @Group("apps") @Version("v1") @Kind("ReplicaSet") @Plural("replicasets")
    public static final class AppsV1ReplicaSet extends WorkloadResource {}

    @Group("apps") @Version("v1beta2") @Kind("ReplicaSet") @Plural("replicasets")
    public static final class AppsV1beta2ReplicaSet extends WorkloadResource {}

    @Group("extensions") @Version("v1beta1") @Kind("ReplicaSet") @Plural("replicasets")
    public static final class ExtensionsV1beta1ReplicaSet extends WorkloadResource {}

    @Group("") @Version("v1") @Kind("ReplicationController") @Plural("replicationcontrollers")
    public static final class CoreV1ReplicationController extends WorkloadResource {}

    @Group("batch") @Version("v1") @Kind("CronJob") @Plural("cronjobs")
    public static final class BatchV1CronJob extends WorkloadResource {}

    @Group("batch") @Version("v1beta1") @Kind("CronJob") @Plural("cronjobs")
    public static final class BatchV1beta1CronJob extends WorkloadResource {}

    @Group("batch") @Version("v2alpha1") @Kind("CronJob") @Plural("cronjobs")
    public static final class BatchV2alpha1CronJob extends WorkloadResource {}
}
