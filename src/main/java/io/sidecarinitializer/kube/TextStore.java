package io.sidecarinitializer.kube;

import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Collection;

/**
 * Reconcile mode's cache: every object as its deflated text behind a stand-in, since this mode reads every object
 * whole whenever it reconciles it, and a large cluster's objects kept whole outgrow the Deployment's memory limit.
 * The whole object is parsed with a serialization of the cache's own, which reads objects whole.
 */
public final class TextStore<R extends WorkloadResources.WorkloadResource> extends WorkloadCache<R> {
    public TextStore(Class<R> type) {
        super(type, new KubernetesSerialization());
    }

    /**
     * The reader for the operator client: each of {@code types} as its stand-in carrying the object's deflated JSON,
     * in one pass over the parser, so a list page is never a page of trees written back to JSON one by one.
     */
    public static SimpleModule reader(Collection<Class<? extends WorkloadResources.WorkloadResource>> types) {
        return CarrierReader.module("sidecar-initializer-stand-ins", types, StandInReader::new);
    }

    @Override
    Entry<R> keep(R resource) {
        return asText(resource);
    }

    /** The object the server answered, as a stand-in with its text: a reconciliation reads it as it is. */
    @Override
    public R written(R answer) {
        return answer;
    }
}
