package io.sidecarinitializer.initializer;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The informer cache of one workload kind in initializer mode. An object without {@code metadata.initializers}
 * never needs us again (an API server does not let initializers be added after creation), so it is kept as its
 * identity and version only; an object with pending initializers is kept whole, as the reconciler reads it.
 * Injected workloads are most of what a large cluster's cache costs (about 17 KiB of heap each), and in this mode
 * we never read them.
 */
final class InitializedAsMetadataStore<R extends WorkloadResources.WorkloadResource> implements ItemStore<R> {
    private final Class<R> type;
    private final Map<String, R> items = new ConcurrentHashMap<>();

    InitializedAsMetadataStore(Class<R> type) {
        this.type = type;
    }

    /** True when the object carries no {@code metadata.initializers} at all: nothing is, or will be, pending. */
    static boolean initialized(WorkloadResources.WorkloadResource resource) {
        ObjectMeta meta = resource.getMetadata();
        return meta != null && meta.getAdditionalProperties().get("initializers") == null;
    }

    @Override
    public String getKey(R resource) {
        return Cache.metaNamespaceKeyFunc(resource);
    }

    @Override
    public R put(String key, R resource) {
        return items.put(key, initialized(resource) ? metadataOnly(resource) : resource);
    }

    /** What java-operator-sdk and the reconciler read of an initialized object: who it is, its version and lifecycle. */
    R metadataOnly(R resource) {
        ObjectMeta meta = resource.getMetadata();
        R slim;
        try {
            slim = type.getDeclaredConstructor().newInstance();
        } catch (InstantiationException | IllegalAccessException | NoSuchMethodException | InvocationTargetException e) {
            throw new IllegalStateException("cannot create a " + type.getName(), e);
        }
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

    @Override
    public R remove(String key) {
        return items.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return items.keySet().stream();
    }

    @Override
    public Stream<R> values() {
        return items.values().stream();
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public R get(String key) {
        return items.get(key);
    }
}
