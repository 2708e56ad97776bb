package io.sidecarinitializer.kube;

import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The informer cache of one workload kind, keeping each object as an object (whole or slim) or as its deflated
 * JSON text behind a stand-in. java-operator-sdk holds what the cache hands out for every reconciliation it
 * queues, so what is handed out is small; {@link #whole} gives the reconciler the whole object when its turn comes.
 * One subclass per mode: {@link PendingStore} (initializer mode) and {@link TextStore} (reconcile mode).
 */
public abstract class WorkloadCache<R extends WorkloadResources.WorkloadResource> implements ItemStore<R> {
    final Class<R> type;
    private final KubernetesSerialization serialization;
    private final Map<String, Entry<R>> items = new ConcurrentHashMap<>();

    /** What is kept of one object: {@code object} (whole or slim), and its deflated JSON text when it is a stand-in. */
    record Entry<R>(R object, byte[] json, boolean counted) {}

    WorkloadCache(Class<R> type, KubernetesSerialization serialization) {
        this.type = type;
        this.serialization = serialization;
    }

    /** What to keep of an object the informer read. */
    abstract Entry<R> keep(R resource);

    /** What to keep of the object our PATCH returned, until its watch event arrives. */
    public abstract R written(R answer);

    /** Called for each entry that leaves the cache. */
    void forgotten(Entry<R> entry) {}

    public Class<R> resourceType() {
        return type;
    }

    /** The object kept as text behind a stand-in; an object read with its text keeps that text. */
    final Entry<R> asText(R resource) {
        if (resource.deflatedJson() != null) {
            return new Entry<>(resource, resource.deflatedJson(), false);
        }
        return new Entry<>(SlimCopy.standIn(type, resource), DeflatedJson.deflate(serialization.asJson(resource)), false);
    }

    /**
     * The object to reconcile for one the cache handed out (or a read returned): the object itself; for a stand-in
     * read with its text, that text parsed; for another stand-in, the cache's current version of it, or null when
     * the cache no longer has it (deleted).
     */
    public final R whole(R resource) {
        if (resource.deflatedJson() != null) {
            return parse(resource.deflatedJson());
        }
        if (!SlimCopy.isStandIn(resource)) {
            return resource;
        }
        Entry<R> entry = items.get(getKey(resource));
        return entry == null ? null : entry.json() == null ? entry.object() : parse(entry.json());
    }

    private R parse(byte[] deflated) {
        return serialization.unmarshal(DeflatedJson.inflate(deflated), type);
    }

    @Override
    public String getKey(R resource) {
        return Cache.metaNamespaceKeyFunc(resource);
    }

    /**
     * Stores the object and returns the previous one as the informer hands it to update handlers: for an object
     * kept as text, its stand-in. The handlers read no more than a stand-in has.
     */
    @Override
    public R put(String key, R resource) {
        return forget(items.put(key, keep(resource)));
    }

    @Override
    public R remove(String key) {
        return forget(items.remove(key));
    }

    private R forget(Entry<R> previous) {
        if (previous == null) {
            return null;
        }
        forgotten(previous);
        return previous.object();
    }

    @Override
    public Stream<String> keySet() {
        return items.keySet().stream();
    }

    @Override
    public Stream<R> values() {
        return items.values().stream().map(Entry::object);
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public R get(String key) {
        Entry<R> entry = items.get(key);
        return entry == null ? null : entry.object();
    }
}
