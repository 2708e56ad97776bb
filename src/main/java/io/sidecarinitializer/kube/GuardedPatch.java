package io.sidecarinitializer.kube;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.sidecarinitializer.inject.Injection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON Patch guarded by {@code test} operations, the object's resourceVersion first, so a concurrent writer is
 * never overwritten: after a 409 or 422 (kube-apiserver's answer to a failed test) the object is read afresh and
 * the writer asked again. The fronts say what to write; reading, patching, re-reading and what the informer cache
 * keeps of our write happen here.
 */
public final class GuardedPatch<R extends WorkloadResources.WorkloadResource> {
    /** Attempts per reconciliation before giving the object back to java-operator-sdk's retry. */
    public static final int MAX_ATTEMPTS = 5;
    private static final Logger log = LoggerFactory.getLogger(GuardedPatch.class);

    private final KubernetesClient client;
    private final WorkloadCache<R> cache;
    private final Class<R> type;

    public GuardedPatch(KubernetesClient client, WorkloadCache<R> cache) {
        this.client = client;
        this.cache = cache;
        this.type = cache.resourceType();
    }

    /** What to write for the object as read now: the operations after the resourceVersion test, and what to report. */
    public record Write<T>(List<Map<String, Object>> ops, T report) {}

    /** Decides one attempt's write from the object as a JSON tree; null when there is nothing to write. */
    @FunctionalInterface
    public interface Writer<T> {
        Write<T> write(Map<String, Object> object);
    }

    /** How a guarded PATCH ended. */
    public sealed interface Result<R, T> permits Patched, Unwritten, Rejected {}

    /** The PATCH landed. */
    public record Patched<R, T>(T report) implements Result<R, T> {}

    /** Nothing was written: the writer had nothing to write, or the object is gone. */
    public record Unwritten<R, T>() implements Result<R, T> {}

    /** The server refused the content itself (the object had not changed): {@code current} is as it was read. */
    public record Rejected<R, T>(T report, R current, String why, KubernetesClientException error) implements Result<R, T> {}

    /**
     * Writes what {@code writer} says for {@code cached} (an object the cache handed out, or {@link Rejected#current}),
     * asking again on a fresh read after each conflict. Errors other than a conflict, a failed test or 404
     * propagate, so java-operator-sdk retries with back-off.
     */
    public <T> Result<R, T> apply(R cached, Context<R> context, Writer<T> writer) {
        R current = cache.whole(cached);
        for (int attempt = 1; current != null && attempt <= MAX_ATTEMPTS; attempt++) {
            Write<T> write = writer.write(tree(current));
            if (write == null) {
                return new Unwritten<>();
            }
            List<Map<String, Object>> ops = new ArrayList<>(write.ops().size() + 1);
            ops.add(Injection.op("test", "/metadata/resourceVersion", current.getMetadata().getResourceVersion()));
            ops.addAll(write.ops());
            try {
                R after = patch(current, ops);
                // Lets the next reconciliation see our write even before the watch delivers it.
                R kept = cache.written(after);
                context.eventSourceRetriever().getControllerEventSource()
                        .handleRecentResourceUpdate(ResourceID.fromResource(kept), kept, current);
                return new Patched<>(write.report());
            } catch (KubernetesClientException e) {
                R fresh = afterConflict(current, e);
                if (fresh != null && sameVersion(fresh, current)) {
                    return new Rejected<>(write.report(), fresh, "HTTP " + e.getCode() + ": " + statusMessage(e), e);
                }
                current = fresh;
            }
        }
        if (current == null) {
            return new Unwritten<>(); // deleted since java-operator-sdk read it
        }
        throw new IllegalStateException(WorkloadResources.plural(type) + " " + cached.getMetadata().getNamespace() + "/"
                + cached.getMetadata().getName() + " kept changing under " + MAX_ATTEMPTS + " attempts to patch it");
    }

    /** A fresh read after a 409 or 422; null when the object is gone; other errors propagate. */
    private R afterConflict(R current, KubernetesClientException e) {
        if (e.getCode() == 404) {
            return null;
        }
        if (e.getCode() != 409 && e.getCode() != 422) {
            throw e;
        }
        String namespace = current.getMetadata().getNamespace();
        String name = current.getMetadata().getName();
        log.debug("PATCH of {} {}/{} at resourceVersion {} failed ({}); re-reading", WorkloadResources.plural(type),
                namespace, name, current.getMetadata().getResourceVersion(), e.getCode());
        R fresh = client.resources(type).inNamespace(namespace).withName(name).get();
        return fresh == null ? null : cache.whole(fresh);
    }

    /**
     * Through fabric8's DSL, given the name and namespace only: a whole object would be copied before the PATCH.
     * The answer is read as the operator client reads every workload (see {@link WorkloadCache}).
     */
    private R patch(R target, List<Map<String, Object>> ops) {
        R nameOnly = WorkloadResources.newInstance(type);
        nameOnly.setMetadata(new ObjectMetaBuilder()
                .withName(target.getMetadata().getName()).withNamespace(target.getMetadata().getNamespace()).build());
        return client.resources(type).inNamespace(target.getMetadata().getNamespace()).resource(nameOnly)
                .patch(PatchContext.of(PatchType.JSON), client.getKubernetesSerialization().asJson(ops));
    }

    /** The object as a plain tree; apiVersion and kind are those we watch (list items may lack them). */
    private Map<String, Object> tree(R resource) {
        @SuppressWarnings("unchecked")
        Map<String, Object> object = client.getKubernetesSerialization().convertValue(resource, LinkedHashMap.class);
        object.put("apiVersion", WorkloadResources.apiVersion(type));
        object.put("kind", WorkloadResources.kind(type));
        return object;
    }

    private boolean sameVersion(R a, R b) {
        return a.getMetadata().getResourceVersion() != null
                && a.getMetadata().getResourceVersion().equals(b.getMetadata().getResourceVersion());
    }

    private static String statusMessage(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : String.valueOf(e.getMessage());
    }
}
