package io.sidecarinitializer.kube;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.ResolvableDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.TypeFactory;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
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
 * controller to an OutOfMemoryError against a real API server. The operator client reads objects off the wire
 * in this form ({@link #readingStandIns}), so they are never whole in between.
 *
 * <p>Text is kept deflated, each object on its own: the injected {@code sleep} sample's 2 KB of JSON deflates
 * to 0.8 KB; objects from a real API server, with {@code managedFields}, are larger and repeat more.
 */
public final class WorkloadStore<R extends WorkloadResources.WorkloadResource> implements ItemStore<R> {
    /** Pending objects kept as objects before further ones are kept as text. */
    public static final int WHOLE_LIMIT = 1000;
    /** Marks a stand-in's metadata. Stand-ins never leave this process: they are never sent to the API server. */
    public static final String STAND_IN = "sidecar-initializer.io/stand-in";

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
    public WorkloadStore(Class<R> type, KubernetesSerialization serialization) {
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

    /**
     * Reconcile mode's cache: every object as its text, behind a stand-in. Objects read with
     * {@link #readingStandIns} arrive as their stand-in with the text; others are written and deflated here. The
     * whole object is parsed with a serialization of the store's own, which reads objects whole.
     */
    public static <R extends WorkloadResources.WorkloadResource> WorkloadStore<R> everyObjectAsText(Class<R> type) {
        return new WorkloadStore<>(type, new KubernetesSerialization(), 0, true);
    }

    /**
     * Reconcile mode: a Jackson module that reads each of {@code types} as its stand-in (as {@link #standIn}
     * makes it) carrying the whole object's deflated JSON, in one pass over the parser. A list page of 500
     * objects is then never 500 trees of maps, written back to JSON and deflated one by one: on 10,000 injected
     * Deployments from a real API server that took 4.9–5.8 s of CPU with the C1 compiler, and this 1.5 s.
     */
    public static SimpleModule readingStandIns(Collection<Class<? extends WorkloadResources.WorkloadResource>> types) {
        return readers("sidecar-initializer-stand-ins", types, true);
    }

    /**
     * Initializer mode: a Jackson module that reads each of {@code types} whole while it has
     * {@code metadata.initializers}, and an initialized one as {@link #metadataOnly}, skipping the rest of it
     * unread. The API server writes {@code metadata} before {@code spec}. Most objects a cache lists or watches
     * are initialized, and their spec is all the cache would drop.
     */
    public static SimpleModule readingInitializedAsMetadata(Collection<Class<? extends WorkloadResources.WorkloadResource>> types) {
        return readers("sidecar-initializer-initialized-as-metadata", types, false);
    }

    private static SimpleModule readers(String name, Collection<Class<? extends WorkloadResources.WorkloadResource>> types,
                                        boolean standIns) {
        SimpleModule module = new SimpleModule(name);
        types.forEach(type -> addReader(module, type, standIns));
        return module;
    }

    private static <R extends WorkloadResources.WorkloadResource> void addReader(SimpleModule module, Class<R> type, boolean standIns) {
        module.addDeserializer(type, standIns ? new StandInReader<>(type) : new InitializedAsMetadataReader<>(type));
    }

    /** Reads one carrier: the start of the object is checked here, its fields are read by {@link #read}. */
    private abstract static class CarrierReader<R extends WorkloadResources.WorkloadResource> extends StdDeserializer<R>
            implements ResolvableDeserializer {
        /** A value read as Jackson reads a field it has no type for: a plain tree of maps, lists and scalars. */
        static final JavaType ANY = TypeFactory.defaultInstance().constructType(Object.class);

        final Class<R> type;
        /** Looked up once ({@link #resolve}), not per object: per object the lookups cost a third of a parse. */
        JsonDeserializer<Object> anyReader;
        JsonDeserializer<Object> metadataReader;

        CarrierReader(Class<R> type) {
            super(type);
            this.type = type;
        }

        @Override
        public void resolve(DeserializationContext ctxt) throws JsonMappingException {
            anyReader = ctxt.findRootValueDeserializer(ANY);
            metadataReader = ctxt.findRootValueDeserializer(ctxt.constructType(ObjectMeta.class));
        }

        @Override
        public final R deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken token = p.currentToken();
            if (token == JsonToken.START_OBJECT) {
                token = p.nextToken();
            } else if (token != JsonToken.FIELD_NAME && token != JsonToken.END_OBJECT) {
                @SuppressWarnings("unchecked")
                R unexpected = (R) ctxt.handleUnexpectedToken(type, p);
                return unexpected;
            }
            return read(p, ctxt, token);
        }

        /** Reads the object's fields; {@code token} is the first field's name, or the object's end. */
        abstract R read(JsonParser p, DeserializationContext ctxt, JsonToken token) throws IOException;
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
        if (resource.deflatedJson() != null) {
            return new Entry<>(resource, resource.deflatedJson(), false); // read as a stand-in with its text
        }
        return new Entry<>(standIn(resource), deflate(serialization.asJson(resource)), false);
    }

    /** What java-operator-sdk and the reconciler read of an initialized object: who it is, its version and lifecycle. */
    R metadataOnly(R resource) {
        return metadataOnly(type, resource);
    }

    private static <R extends WorkloadResources.WorkloadResource> R metadataOnly(Class<R> type, R resource) {
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
    public R pendingOnly(R resource) {
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
     * The object to reconcile for one the cache handed out (or a read returned): the object itself; for a
     * stand-in read with its text ({@link #readingStandIns}), that text parsed; for another stand-in, the
     * cache's current version of it, parsed from its text, or null when the cache no longer has it (deleted).
     */
    public R whole(R resource) {
        if (resource.deflatedJson() != null) {
            return serialization.unmarshal(inflate(resource.deflatedJson()), type); // a stand-in with its own text
        }
        if (!isStandIn(resource)) {
            return resource;
        }
        Entry<R> entry = items.get(getKey(resource));
        return entry == null ? null : entry.json() == null ? entry.object() : serialization.unmarshal(inflate(entry.json()), type);
    }

    private static byte[] deflate(String json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(json.length() / 4);
        try (OutputStream deflating = deflating(out)) {
            deflating.write(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /**
     * Deflates into {@code out} with this thread's compressor, reset first: zlib's native state is allocated
     * once per thread, not once per object (10,000 allocations and frees of it showed in the process's RSS).
     * Closing the stream finishes the data; the compressor lives on.
     */
    private static OutputStream deflating(ByteArrayOutputStream out) {
        Deflater deflater = DEFLATER.get();
        deflater.reset();
        return new DeflaterOutputStream(out, deflater, 8192);
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

    /**
     * Reads one object as its stand-in, carrying the object's JSON, deflated: every token is copied to the
     * compressor as it is read, and only what a stand-in holds is kept as values.
     */
    static final class StandInReader<R extends WorkloadResources.WorkloadResource> extends CarrierReader<R> {
        private static final JavaType LABELS = TypeFactory.defaultInstance().constructMapType(LinkedHashMap.class, String.class, String.class);
        private static final JavaType FINALIZERS = TypeFactory.defaultInstance().constructCollectionType(ArrayList.class, String.class);
        /** Writes the copy; it only copies tokens, so it needs no object mapper. */
        private static final JsonFactory JSON = new JsonFactory();

        StandInReader(Class<R> type) {
            super(type);
        }

        @Override
        R read(JsonParser p, DeserializationContext ctxt, JsonToken token) throws IOException {
            R standIn = WorkloadResources.newInstance(type);
            ObjectMeta meta = new ObjectMeta();
            ByteArrayOutputStream text = new ByteArrayOutputStream(2048);
            try (JsonGenerator out = JSON.createGenerator(deflating(text))) {
                out.writeStartObject();
                for (; token == JsonToken.FIELD_NAME; token = p.nextToken()) {
                    String field = p.currentName();
                    p.nextToken();
                    out.writeFieldName(field);
                    switch (field) {
                        case "apiVersion" -> standIn.setApiVersion(p.getValueAsString());
                        case "kind" -> standIn.setKind(p.getValueAsString());
                        default -> { }
                    }
                    if (field.equals("metadata") && p.currentToken() == JsonToken.START_OBJECT) {
                        readMetadata(p, ctxt, meta, out);
                    } else {
                        out.copyCurrentStructure(p);
                    }
                }
                out.writeEndObject();
            }
            meta.setAdditionalProperty(STAND_IN, Boolean.TRUE);
            standIn.setMetadata(meta);
            standIn.deflatedJson(text.toByteArray());
            return standIn;
        }

        /** Copies {@code metadata} and keeps of it what {@link #pendingOnly} keeps. */
        private static void readMetadata(JsonParser p, DeserializationContext ctxt, ObjectMeta meta, JsonGenerator out)
                throws IOException {
            out.writeStartObject();
            for (JsonToken token = p.nextToken(); token == JsonToken.FIELD_NAME; token = p.nextToken()) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                out.writeFieldName(field);
                if (value == JsonToken.VALUE_NULL) {
                    out.writeNull();
                    continue;
                }
                switch (field) {
                    case "name" -> meta.setName(p.getValueAsString());
                    case "namespace" -> meta.setNamespace(p.getValueAsString());
                    case "uid" -> meta.setUid(p.getValueAsString());
                    case "resourceVersion" -> meta.setResourceVersion(p.getValueAsString());
                    case "generation" -> meta.setGeneration(p.getValueAsLong());
                    case "creationTimestamp" -> meta.setCreationTimestamp(p.getValueAsString());
                    case "deletionTimestamp" -> meta.setDeletionTimestamp(p.getValueAsString());
                    case "labels" -> {
                        meta.setLabels(copyAndRead(p, ctxt, out, LABELS));
                        continue;
                    }
                    case "finalizers" -> {
                        meta.setFinalizers(copyAndRead(p, ctxt, out, FINALIZERS));
                        continue;
                    }
                    case "initializers" -> {
                        meta.setAdditionalProperty("initializers", copyAndRead(p, ctxt, out, ANY));
                        continue;
                    }
                    default -> { }
                }
                out.copyCurrentStructure(p);
            }
            out.writeEndObject();
            // As metadataOnly leaves them: absent when empty, whether the server sent them empty or not at all.
            if (meta.getLabels() != null && meta.getLabels().isEmpty()) {
                meta.setLabels(null);
            }
            if (meta.getFinalizers() != null && meta.getFinalizers().isEmpty()) {
                meta.setFinalizers(null);
            }
        }

        /** Copies the value at the parser to {@code out} and returns it read as {@code type}. */
        private static <T> T copyAndRead(JsonParser p, DeserializationContext ctxt, JsonGenerator out, JavaType type)
                throws IOException {
            TokenBuffer buffer = ctxt.bufferAsCopyOfValue(p);
            try (JsonParser copy = buffer.asParserOnFirstToken()) {
                out.copyCurrentStructure(copy);
            }
            try (JsonParser read = buffer.asParserOnFirstToken()) {
                return ctxt.readValue(read, type);
            }
        }
    }

    /**
     * Reads an object as Jackson reads a {@code GenericKubernetesResource} (apiVersion, kind, typed metadata, every
     * other field as a plain tree), unless its metadata shows it initialized: then the fields after the metadata
     * are skipped and it is returned as {@link #metadataOnly}.
     */
    static final class InitializedAsMetadataReader<R extends WorkloadResources.WorkloadResource> extends CarrierReader<R> {
        InitializedAsMetadataReader(Class<R> type) {
            super(type);
        }

        @Override
        R read(JsonParser p, DeserializationContext ctxt, JsonToken token) throws IOException {
            R resource = WorkloadResources.newInstance(type);
            for (; token == JsonToken.FIELD_NAME; token = p.nextToken()) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "apiVersion" -> resource.setApiVersion(p.getValueAsString());
                    case "kind" -> resource.setKind(p.getValueAsString());
                    case "metadata" -> {
                        resource.setMetadata(p.currentToken() == JsonToken.VALUE_NULL ? null
                                : (ObjectMeta) metadataReader.deserialize(p, ctxt));
                        if (resource.getMetadata() != null && initialized(resource)) {
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                p.nextToken();
                                p.skipChildren();
                            }
                            return metadataOnly(type, resource);
                        }
                    }
                    default -> resource.setAdditionalProperty(field,
                            p.currentToken() == JsonToken.VALUE_NULL ? null : anyReader.deserialize(p, ctxt));
                }
            }
            return resource;
        }
    }

    /** Pending objects kept whole now; for tests. */
    int wholeCount() {
        return whole.get();
    }
}
