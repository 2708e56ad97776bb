package io.sidecarinitializer.initializer;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The informer cache of initializer mode: initialized objects slim, pending ones whole, a backlog as text. */
class WorkloadStoreTest {
    private final KubernetesSerialization serialization = new KubernetesSerialization();
    private final WorkloadStore<WorkloadResources.AppsV1Deployment> store =
            new WorkloadStore<>(WorkloadResources.AppsV1Deployment.class, serialization, 2);

    private WorkloadResources.AppsV1Deployment deployment(Manifest m, String resourceVersion) {
        Map<String, Object> tree = m.annotate("sidecar.istio.io/status", "{}").tree();
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) tree.get("metadata");
        meta.put("uid", "uid-" + m.name);
        meta.put("resourceVersion", resourceVersion);
        meta.put("creationTimestamp", "2017-10-01T00:00:00Z");
        meta.put("labels", Map.of("app", m.name));
        return serialization.convertValue(tree, WorkloadResources.AppsV1Deployment.class);
    }

    @Test
    void keepsObjectsWithPendingInitializersWhole() {
        WorkloadResources.AppsV1Deployment pending = deployment(Manifest.deployment("shop", "web").pending(Manifest.OURS), "7");

        store.put(store.getKey(pending), pending);

        assertThat(store.get("shop/web")).isSameAs(pending);
    }

    @Test
    void keepsOnlyIdentityVersionAndLabelsOfAnInitializedObject() {
        WorkloadResources.AppsV1Deployment done = deployment(Manifest.deployment("shop", "web"), "8");

        store.put(store.getKey(done), done);

        WorkloadResources.AppsV1Deployment cached = store.get("shop/web");
        assertThat(cached).isInstanceOf(WorkloadResources.AppsV1Deployment.class);
        assertThat(cached.getAdditionalProperties()).doesNotContainKey("spec");
        assertThat(cached.getMetadata().getAnnotations()).isEmpty();
        assertThat(cached.getMetadata().getName()).isEqualTo("web");
        assertThat(cached.getMetadata().getNamespace()).isEqualTo("shop");
        assertThat(cached.getMetadata().getUid()).isEqualTo("uid-web");
        assertThat(cached.getMetadata().getResourceVersion()).isEqualTo("8");
        assertThat(cached.getMetadata().getCreationTimestamp()).isEqualTo("2017-10-01T00:00:00Z");
        assertThat(cached.getMetadata().getLabels()).containsEntry("app", "web");
        // What the reconciler reads of it: nothing pending, so nothing to do.
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = serialization.convertValue(cached, Map.class);
        assertThat(PendingInitializers.of(tree).isEmpty()).isTrue();
    }

    @Test
    void slimsAnObjectOnceItsLastInitializerIsRemoved() {
        WorkloadResources.AppsV1Deployment pending = deployment(Manifest.deployment("shop", "web").pending(Manifest.OURS), "7");
        WorkloadResources.AppsV1Deployment done = deployment(Manifest.deployment("shop", "web"), "8");
        store.put(store.getKey(pending), pending);

        WorkloadResources.AppsV1Deployment previous = store.put(store.getKey(done), done);

        assertThat(previous).isSameAs(pending);
        assertThat(store.get("shop/web").getMetadata().getResourceVersion()).isEqualTo("8");
        assertThat(store.get("shop/web").getAdditionalProperties()).doesNotContainKey("spec");
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.remove("shop/web")).isNotNull();
        assertThat(store.size()).isZero();
    }

    @Test
    void pastTheLimitHandsOutStandInsAndTheReconcilerGetsTheWholeObjectBack() {
        WorkloadResources.AppsV1Deployment third = null;
        for (String name : List.of("a", "b", "c")) {
            third = deployment(Manifest.deployment("shop", name).pending("other.example.com", Manifest.OURS), "1" + name.length());
            store.put(store.getKey(third), third);
        }

        assertThat(store.wholeCount()).isEqualTo(2);
        assertThat(store.get("shop/a")).isNotNull();
        // What java-operator-sdk holds while the reconciliation waits: who it is and what is pending, no spec.
        WorkloadResources.AppsV1Deployment standIn = store.get("shop/c");
        assertThat(WorkloadStore.isStandIn(standIn)).isTrue();
        assertThat(standIn.getAdditionalProperties()).doesNotContainKey("spec");
        assertThat(standIn.getMetadata().getResourceVersion()).isEqualTo(third.getMetadata().getResourceVersion());
        assertThat(PendingInitializers.of(tree(standIn)).names()).containsExactly("other.example.com", Manifest.OURS);
        // What the reconciler works on: the object as the API server sent it.
        WorkloadResources.AppsV1Deployment whole = store.whole(standIn);
        assertThat(WorkloadStore.isStandIn(whole)).isFalse();
        assertThat(tree(whole)).isEqualTo(tree(third));
        assertThat(store.whole(store.get("shop/a"))).isSameAs(store.get("shop/a"));
        assertThat(store.values()).hasSize(3);
    }

    @Test
    void aStandInResolvesToTheCurrentVersionOrToNothingOnceDeleted() {
        for (String name : List.of("a", "b", "c")) {
            WorkloadResources.AppsV1Deployment d = deployment(Manifest.deployment("shop", name).pending(Manifest.OURS), "1");
            store.put(store.getKey(d), d);
        }
        WorkloadResources.AppsV1Deployment standIn = store.get("shop/c");
        WorkloadResources.AppsV1Deployment done = deployment(Manifest.deployment("shop", "c"), "2");
        store.put(store.getKey(done), done);

        WorkloadResources.AppsV1Deployment current = store.whole(standIn);
        assertThat(current.getMetadata().getResourceVersion()).isEqualTo("2");
        assertThat(PendingInitializers.of(tree(current)).isEmpty()).isTrue();

        store.remove("shop/c");
        assertThat(store.whole(standIn)).isNull();
    }

    @Test
    void anUpdateOfAnObjectKeptAsTextReturnsTheSlimPreviousVersion() {
        for (String name : List.of("a", "b", "c")) {
            WorkloadResources.AppsV1Deployment d = deployment(Manifest.deployment("shop", name).pending(Manifest.OURS), "1");
            store.put(store.getKey(d), d);
        }
        WorkloadResources.AppsV1Deployment done = deployment(Manifest.deployment("shop", "c"), "2");

        WorkloadResources.AppsV1Deployment previous = store.put(store.getKey(done), done);

        assertThat(previous.getMetadata().getName()).isEqualTo("c");
        assertThat(previous.getMetadata().getResourceVersion()).isEqualTo("1");
        assertThat(WorkloadStore.isStandIn(previous)).isTrue();
        assertThat(previous.getAdditionalProperties()).doesNotContainKey("spec");
    }

    @Test
    void roomForWholeObjectsComesBackAsPendingOnesAreInitializedOrDeleted() {
        for (String name : List.of("a", "b")) {
            WorkloadResources.AppsV1Deployment d = deployment(Manifest.deployment("shop", name).pending(Manifest.OURS), "1");
            store.put(store.getKey(d), d);
        }
        WorkloadResources.AppsV1Deployment aDone = deployment(Manifest.deployment("shop", "a"), "2");
        store.put(store.getKey(aDone), aDone);
        store.remove("shop/b");
        assertThat(store.wholeCount()).isZero();

        WorkloadResources.AppsV1Deployment next = deployment(Manifest.deployment("shop", "next").pending(Manifest.OURS), "3");
        store.put(store.getKey(next), next);

        assertThat(store.get("shop/next")).isSameAs(next);
        assertThat(store.wholeCount()).isEqualTo(1);
    }

    @Test
    void afterOurPatchOnlyIdentityVersionAndWhatIsStillPendingAreRemembered() {
        WorkloadResources.AppsV1Deployment after = deployment(Manifest.deployment("shop", "web").pending("other.example.com"), "9");

        WorkloadResources.AppsV1Deployment remembered = store.pendingOnly(after);

        assertThat(WorkloadStore.isStandIn(remembered)).isFalse();
        assertThat(remembered.getAdditionalProperties()).doesNotContainKey("spec");
        assertThat(remembered.getMetadata().getResourceVersion()).isEqualTo("9");
        assertThat(PendingInitializers.of(tree(remembered)).names()).containsExactly("other.example.com");
        assertThat(store.pendingOnly(deployment(Manifest.deployment("shop", "done"), "10")).getMetadata().getAdditionalProperties())
                .doesNotContainKey("initializers");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> tree(WorkloadResources.AppsV1Deployment resource) {
        return serialization.convertValue(resource, Map.class);
    }

    @Test
    void inReconcileModeEveryObjectIsAStandInWhoseWholeObjectIsItsCurrentVersion() {
        WorkloadStore<WorkloadResources.AppsV1Deployment> text =
                WorkloadStore.everyObjectAsText(WorkloadResources.AppsV1Deployment.class, serialization);
        WorkloadResources.AppsV1Deployment injected = deployment(Manifest.deployment("shop", "web"), "8");
        text.put(text.getKey(injected), injected);

        WorkloadResources.AppsV1Deployment standIn = text.get("shop/web");
        assertThat(WorkloadStore.isStandIn(standIn)).isTrue();
        assertThat(standIn.getAdditionalProperties()).doesNotContainKey("spec");
        assertThat(standIn.getMetadata().getResourceVersion()).isEqualTo("8");
        // Unlike initializer mode, an initialized object is read again, whole: the spec decides.
        assertThat(tree(text.whole(standIn))).isEqualTo(tree(injected));

        WorkloadResources.AppsV1Deployment edited = deployment(Manifest.deployment("shop", "web").annotate("team", "payments"), "9");
        assertThat(WorkloadStore.isStandIn(text.put(text.getKey(edited), edited))).isTrue();
        assertThat(tree(text.whole(standIn))).isEqualTo(tree(edited));
        text.remove("shop/web");
        assertThat(text.whole(standIn)).isNull();
        assertThat(text.size()).isZero();
    }
}
