package io.sidecarinitializer.initializer;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InitializedAsMetadataStoreTest {
    private final KubernetesSerialization serialization = new KubernetesSerialization();
    private final InitializedAsMetadataStore<WorkloadResources.AppsV1Deployment> store =
            new InitializedAsMetadataStore<>(WorkloadResources.AppsV1Deployment.class);

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
}
