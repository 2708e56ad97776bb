package io.sidecarinitializer.kube;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** The slim copies of a workload that the caches hand out instead of the whole object. */
public final class SlimCopy {
    /** Marks a stand-in's metadata. Stand-ins never leave this process: they are never sent to the API server. */
    public static final String STAND_IN = "sidecar-initializer.io/stand-in";

    private SlimCopy() {}

    /** True when the object carries no {@code metadata.initializers} at all: nothing is, or will be, pending. */
    static boolean initialized(WorkloadResources.WorkloadResource resource) {
        ObjectMeta meta = resource.getMetadata();
        return meta != null && meta.getAdditionalProperties().get("initializers") == null;
    }

    /** What java-operator-sdk and the reconciler read of an initialized object: who it is, its version and lifecycle. */
    static <R extends WorkloadResources.WorkloadResource> R metadataOnly(Class<R> type, R resource) {
        ObjectMeta meta = resource.getMetadata();
        R slim = WorkloadResources.newInstance(type);
        slim.setApiVersion(resource.getApiVersion());
        slim.setKind(resource.getKind());
        slim.setMetadata(new ObjectMetaBuilder()
                .withName(meta.getName())
                .withNamespace(meta.getNamespace())
                .withUid(meta.getUid())
                .withResourceVersion(meta.getResourceVersion())
                .withGeneration(meta.getGeneration())
                .withCreationTimestamp(meta.getCreationTimestamp())
                .withDeletionTimestamp(meta.getDeletionTimestamp())
                .withFinalizers(meta.getFinalizers() == null || meta.getFinalizers().isEmpty() ? null : meta.getFinalizers())
                .withLabels(meta.getLabels() == null || meta.getLabels().isEmpty() ? null : meta.getLabels())
                .build());
        return slim;
    }

    /** {@link #metadataOnly} plus {@code metadata.initializers}: all initializer mode reads once ours is not first. */
    static <R extends WorkloadResources.WorkloadResource> R pendingOnly(Class<R> type, R resource) {
        R slim = metadataOnly(type, resource);
        Object initializers = resource.getMetadata().getAdditionalProperties().get("initializers");
        if (initializers != null) {
            slim.getMetadata().setAdditionalProperty("initializers", initializers);
        }
        return slim;
    }

    /** What a cache hands out for an object it keeps as text: {@link #pendingOnly}, marked. */
    static <R extends WorkloadResources.WorkloadResource> R standIn(Class<R> type, R resource) {
        R standIn = pendingOnly(type, resource);
        standIn.getMetadata().setAdditionalProperty(STAND_IN, Boolean.TRUE);
        return standIn;
    }

    static boolean isStandIn(WorkloadResources.WorkloadResource resource) {
        return resource.getMetadata() != null && Boolean.TRUE.equals(resource.getMetadata().getAdditionalProperties().get(STAND_IN));
    }
}
