package io.sidecarinitializer.initializer;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * The informer cache of one workload kind, sized by what the reconciler will read.
 *
 * <p>Initializer mode:
 * <ul>
 *   <li>An object without {@code metadata.initializers} never needs us again (an API server does not let
 *       initializers be added after creation), so it is kept as its identity and version only. Injected workloads
 *       are most of what a large cluster's cache costs (about 17 KiB of heap each), and in this mode we never read
 *       them.</li>
 *   <li>An object with pending initializers is kept whole, as the reconciler reads it. Past {@link #WHOLE_LIMIT}
 *       of them (a controller that starts to a backlog, or falls behind one) further ones are kept as their JSON
 *       text, about a sixth of the heap, and the cache hands out a <i>stand-in</i>: identity, version, labels and
 *       the pending initializers. java-operator-sdk holds what the cache hands out for every reconciliation it
 *       queues, so a backlog of 10,000 would otherwise be 10,000 whole objects however they are stored. The
 *       reconciler trades a stand-in for the whole object with {@link #whole} when its turn comes.</li>
 * </ul>
 *
 * <p>Reconcile mode ({@link #everyObjectAsText}) reads every object whole whenever it reconciles it, so every
 * object is kept as text behind a stand-in. Kept as objects, 10,000 injected Deployments took a 512 MiB
 * controller to an OutOfMemoryError against a real API server.
 *
 * <p>Text is kept deflated, each object on its own: the injected {@code sleep} sample's 2 KB of JSON deflates
 * to 0.8 KB; objects from a real API server, with {@code managedFields}, are larger and repeat more.
 */
final class WorkloadStore<R extends WorkloadResources.WorkloadResource> implements ItemStore<R> {
    /** Pending objects kept as objects before further ones are kept as text. */
    static final int WHOLE_LIMIT = 1000;
    /** Marks a stand-in's metadata. Stand-ins never leave this process: they are never sent to the API server. */
    static final String STAND_IN = "sidecar-initializer.io/stand-in";

    private static final ThreadLocal<Deflater> DEFLATER = ThreadLocal.withInitial(() -> new Deflater(Deflater.BEST_SPEED));
    private static final ThreadLocal<Inflater> INFLATER = ThreadLocal.withInitial(Inflater::new);

    private final Class<R> type;
    private final KubernetesSerialization serialization;
    private final int wholeLimit;
    private final boolean allAsText;
    private final Map<String, Entry<R>> items = new ConcurrentHashMap<>();
    private final AtomicInteger whole = new AtomicInteger();

    /** What is kept of one object: {@code object} (whole or slimmed), or its deflated JSON text and its stand-in. */
    private record Entry<R>(R object, byte[] json, boolean pendingWhole) {}

    /** Initializer mode's cache. */
    WorkloadStore(Class<R> type, KubernetesSerialization serialization) {
        this(type, serialization, WHOLE_LIMIT, false);
    }

    WorkloadStore(Class<R> type, KubernetesSerialization serialization, int wholeLimit) {
        this(type, serialization, wholeLimit, false);
    }

    private WorkloadStore(Class<R> type, KubernetesSerialization serialization, int wholeLimit, boolean allAsText) {
        this.type = type;
        this.serialization = serialization;
        this.wholeLimit = wholeLimit;
        this.allAsText = allAsText;
    }

    /** Reconcile mode's cache: every object as its text, behind a stand-in. */
    static <R extends WorkloadResources.WorkloadResource> WorkloadStore<R> everyObjectAsText(Class<R> type,
                                                                                           KubernetesSerialization serialization) {
        return new WorkloadStore<>(type, serialization, 0, true);
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

    /**
     * Stores the object and returns the previous one, as the informer hands it to update handlers: for an object
     * kept as text, its stand-in. The handlers read no more than a stand-in has, and parsing the text only to
     * drop it would cost each update a parse.
     */
    @Override
    public R put(String key, R resource) {
        Entry<R> entry;
        if (allAsText) {
            entry = asText(resource);
        } else if (initialized(resource)) {
            entry = new Entry<>(metadataOnly(resource), null, false);
        } else if (whole.incrementAndGet() <= wholeLimit) {
            entry = new Entry<>(resource, null, true);
        } else {
            whole.decrementAndGet();
            entry = asText(resource);
        }
        return forget(items.put(key, entry));
    }

    private Entry<R> asText(R resource) {
        return new Entry<>(standIn(resource), deflate(serialization.asJson(resource)), false);
    }

    /** What java-operator-sdk and the reconciler read of an initialized object: who it is, its version and lifecycle. */
    R metadataOnly(R resource) {
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

    /** What the cache hands out for an object kept as text: {@link #pendingOnly}, marked as a stand-in. */
    private R standIn(R resource) {
        R standIn = pendingOnly(resource);
        standIn.getMetadata().setAdditionalProperty(STAND_IN, Boolean.TRUE);
        return standIn;
    }

    /**
     * The slim object plus its {@code metadata.initializers}: all that initializer mode reads of an object whose
     * first pending initializer is not ours, as after our own PATCH.
     */
    R pendingOnly(R resource) {
        R slim = metadataOnly(resource);
        Object initializers = resource.getMetadata().getAdditionalProperties().get("initializers");
        if (initializers != null) {
            slim.getMetadata().setAdditionalProperty("initializers", initializers);
        }
        return slim;
    }

    static boolean isStandIn(WorkloadResources.WorkloadResource resource) {
        return resource.getMetadata() != null && Boolean.TRUE.equals(resource.getMetadata().getAdditionalProperties().get(STAND_IN));
    }

    /**
     * The object to reconcile for one the cache handed out: the object itself, or for a stand-in the cache's
     * current version of it, parsed from its text; null when the cache no longer has it (deleted).
     */
    R whole(R resource) {
        if (!isStandIn(resource)) {
            return resource;
        }
        Entry<R> entry = items.get(getKey(resource));
        return entry == null ? null : entry.json() == null ? entry.object() : serialization.unmarshal(inflate(entry.json()), type);
    }

    private static byte[] deflate(String json) {
        // One compressor per informer thread, reset between objects: zlib's native state is allocated once,
        // not once per object (10,000 allocations and frees of it showed in the process's RSS).
        Deflater deflater = DEFLATER.get();
        deflater.reset();
        deflater.setInput(json.getBytes(StandardCharsets.UTF_8));
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(json.length() / 4);
        byte[] buffer = new byte[8192];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        return out.toByteArray();
    }

    private static InputStream inflate(byte[] deflated) {
        Inflater inflater = INFLATER.get();
        inflater.reset();
        return new InflaterInputStream(new ByteArrayInputStream(deflated), inflater);
    }

    private R forget(Entry<R> previous) {
        if (previous == null) {
            return null;
        }
        if (previous.pendingWhole()) {
            whole.decrementAndGet();
        }
        return previous.object();
    }

    @Override
    public R remove(String key) {
        return forget(items.remove(key));
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

    /** Pending objects kept whole now; for tests. */
    int wholeCount() {
        return whole.get();
    }
}
