package io.sidecarinitializer.initializer;

import io.sidecarinitializer.inject.Injection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code metadata.initializers.pending} of an object read as a JSON tree (SPEC §5), and the JSON Patch
 * operations that take our entry off it. Today's fabric8 model has no such field, so it is read from the
 * tree. Pure.
 */
public final class PendingInitializers {
    static final String PENDING_PATH = "/metadata/initializers/pending";

    private final List<String> names;

    private PendingInitializers(List<String> names) {
        this.names = names;
    }

    /** The pending names in order; empty when the object is initialized or the field is malformed. */
    public static PendingInitializers of(Map<String, Object> object) {
        List<String> names = new ArrayList<>();
        if (object.get("metadata") instanceof Map<?, ?> meta
                && meta.get("initializers") instanceof Map<?, ?> initializers
                && initializers.get("pending") instanceof List<?> pending) {
            for (Object entry : pending) {
                names.add(entry instanceof Map<?, ?> m && m.get("name") instanceof String n ? n : "");
            }
        }
        return new PendingInitializers(List.copyOf(names));
    }

    public List<String> names() {
        return names;
    }

    public boolean isEmpty() {
        return names.isEmpty();
    }

    boolean contains(String name) {
        return names.contains(name);
    }

    /** Only the first pending initializer may act (SPEC §5). */
    boolean firstIs(String name) {
        return !names.isEmpty() && names.get(0).equals(name);
    }

    /**
     * Removes our entry, which must be first, leaving the others in order; when it was the last one,
     * {@code metadata.initializers} goes away entirely, which is how the API server reads "initialized".
     * The test operation makes the patch fail rather than remove someone else's entry.
     */
    List<Map<String, Object>> removeFirstOps(String ours) {
        if (!firstIs(ours)) {
            throw new IllegalStateException("pending initializers " + names + " do not start with " + ours);
        }
        List<Map<String, Object>> ops = new ArrayList<>();
        ops.add(Injection.op("test", PENDING_PATH + "/0/name", ours));
        ops.add(names.size() == 1
                ? Injection.op("remove", "/metadata/initializers", null)
                : Injection.op("remove", PENDING_PATH + "/0", null));
        return ops;
    }

    @Override
    public String toString() {
        return names.toString();
    }
}
