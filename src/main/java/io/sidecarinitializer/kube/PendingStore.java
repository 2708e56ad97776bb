package io.sidecarinitializer.kube;

import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Initializer mode's cache, sized by what is pending.
 *
 * <ul>
 *   <li>An initialized object never needs us again (initializers cannot be added after creation), so it is kept
 *       as its identity and version only ({@link SlimCopy#metadataOnly}); injected workloads are most of a large
 *       cluster's cache.</li>
 *   <li>An object with pending initializers is kept whole, up to {@link #WHOLE_LIMIT} of them; past that (a start
 *       to a backlog) as its text behind a stand-in, so a backlog is not held whole by the operator's queue.</li>
 * </ul>
 */
public final class PendingStore<R extends WorkloadResources.WorkloadResource> extends WorkloadCache<R> {
    /** Pending objects kept as objects before further ones are kept as text. */
    public static final int WHOLE_LIMIT = 1000;

    private final int wholeLimit;
    private final AtomicInteger whole = new AtomicInteger();

    public PendingStore(Class<R> type, KubernetesSerialization serialization) {
        this(type, serialization, WHOLE_LIMIT);
    }

    PendingStore(Class<R> type, KubernetesSerialization serialization, int wholeLimit) {
        super(type, serialization);
        this.wholeLimit = wholeLimit;
    }

    /**
     * The reader for the operator client: each of {@code types} whole while it has {@code metadata.initializers},
     * an initialized one as its metadata alone, the rest of it skipped unread (the server writes metadata first).
     */
    public static SimpleModule reader(Collection<Class<? extends WorkloadResources.WorkloadResource>> types) {
        return CarrierReader.module("sidecar-initializer-initialized-as-metadata", types, InitializedAsMetadataReader::new);
    }

    @Override
    Entry<R> keep(R resource) {
        if (SlimCopy.initialized(resource)) {
            return new Entry<>(SlimCopy.metadataOnly(type, resource), null, false);
        }
        if (whole.incrementAndGet() <= wholeLimit) {
            return new Entry<>(resource, null, true);
        }
        whole.decrementAndGet();
        return asText(resource);
    }

    @Override
    void forgotten(Entry<R> entry) {
        if (entry.counted()) {
            whole.decrementAndGet();
        }
    }

    /** Who it is and what is still pending: our entry is gone for good, and nothing else is read once ours is not first. */
    @Override
    public R written(R answer) {
        return SlimCopy.pendingOnly(type, answer);
    }

    /** Pending objects kept whole now; for tests. */
    int wholeCount() {
        return whole.get();
    }
}
