package io.sidecarinitializer.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sidecarinitializer.cluster.Manifest;
import io.sidecarinitializer.initializer.PendingInitializers;
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
                WorkloadStore.everyObjectAsText(WorkloadResources.AppsV1Deployment.class);
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

    /** The operator client's serialization in reconcile mode: workloads are read as stand-ins with their text. */
    private static KubernetesSerialization readingStandIns() {
        KubernetesSerialization reading = new KubernetesSerialization(
                new ObjectMapper().registerModule(WorkloadStore.readingStandIns(List.of(WorkloadResources.AppsV1Deployment.class))), true);
        reading.registerKubernetesResource(WorkloadResources.AppsV1Deployment.class);
        return reading;
    }

    /** A Deployment as an API server sends it: every metadata field a stand-in keeps, and more it does not. */
    private WorkloadResources.AppsV1Deployment full(String name, String resourceVersion) {
        WorkloadResources.AppsV1Deployment d = deployment(Manifest.deployment("shop", name).pending(Manifest.OURS), resourceVersion);
        d.getMetadata().setGeneration(3L);
        d.getMetadata().setFinalizers(List.of("example.com/keep"));
        d.getMetadata().setDeletionTimestamp(null);
        d.getMetadata().setManagedFields(List.of(new io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder()
                .withManager("kubectl").withOperation("Update").withApiVersion("apps/v1").build()));
        d.getMetadata().setAdditionalProperty("selfLink", "/apis/apps/v1/namespaces/shop/deployments/" + name);
        return d;
    }

    @Test
    void readsAnObjectOffTheWireAsTheSameStandInAStoreMakesWithItsWholeText() {
        WorkloadStore<WorkloadResources.AppsV1Deployment> text =
                WorkloadStore.everyObjectAsText(WorkloadResources.AppsV1Deployment.class);
        WorkloadResources.AppsV1Deployment sent = full("web", "8");
        String json = serialization.asJson(sent);

        WorkloadResources.AppsV1Deployment read = readingStandIns().unmarshal(json, WorkloadResources.AppsV1Deployment.class);

        assertThat(WorkloadStore.isStandIn(read)).isTrue();
        assertThat(read.getAdditionalProperties()).doesNotContainKeys("spec", "status");
        assertThat(read.getApiVersion()).isEqualTo("apps/v1");
        assertThat(read.getKind()).isEqualTo("Deployment");
        // The same stand-in as the store makes of the whole object (the path of objects not read this way).
        WorkloadResources.AppsV1Deployment made = text.put("shop/web", sent) == null ? text.get("shop/web") : null;
        assertThat(read.getMetadata()).isEqualTo(made.getMetadata());
        assertThat(read.getMetadata().getAdditionalProperties()).containsKey("initializers").doesNotContainKey("selfLink");
        // Its text is the whole object.
        assertThat(tree(text.whole(read))).isEqualTo(tree(sent));

        text.put("shop/web", read);
        assertThat(text.get("shop/web")).isSameAs(read);
        assertThat(tree(text.whole(text.get("shop/web")))).isEqualTo(tree(sent));
    }

    @Test
    void readsListItemsAndWatchEventsAsStandIns() {
        KubernetesSerialization reading = readingStandIns();
        WorkloadResources.AppsV1Deployment a = full("a", "5");
        WorkloadResources.AppsV1Deployment b = full("b", "6");
        b.getMetadata().setLabels(Map.of());
        b.getMetadata().setFinalizers(List.of());
        Map<String, Object> itemA = serialization.convertValue(a, Map.class);
        Map<String, Object> itemB = serialization.convertValue(b, Map.class);
        itemA.remove("apiVersion"); // list items come without apiVersion and kind
        itemA.remove("kind");
        String list = serialization.asJson(Map.of("apiVersion", "apps/v1", "kind", "DeploymentList",
                "metadata", Map.of("resourceVersion", "9"), "items", List.of(itemA, itemB)));

        io.fabric8.kubernetes.api.model.DefaultKubernetesResourceList<WorkloadResources.AppsV1Deployment> page = reading.unmarshal(
                new java.io.ByteArrayInputStream(list.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                new com.fasterxml.jackson.core.type.TypeReference<io.fabric8.kubernetes.api.model.DefaultKubernetesResourceList<WorkloadResources.AppsV1Deployment>>() {});
        io.fabric8.kubernetes.api.model.WatchEvent event = reading.unmarshal(
                serialization.asJson(Map.of("type", "MODIFIED", "object", a)), io.fabric8.kubernetes.api.model.WatchEvent.class);

        assertThat(page.getMetadata().getResourceVersion()).isEqualTo("9");
        assertThat(page.getItems()).allSatisfy(item -> assertThat(WorkloadStore.isStandIn(item)).isTrue());
        assertThat(page.getItems().get(0).getApiVersion()).isNull();
        WorkloadStore<WorkloadResources.AppsV1Deployment> text =
                WorkloadStore.everyObjectAsText(WorkloadResources.AppsV1Deployment.class);
        text.put("shop/b", b); // empty labels and finalizers: the same stand-in either way
        assertThat(page.getItems().get(1).getMetadata()).isEqualTo(text.get("shop/b").getMetadata());
        assertThat(text.whole(page.getItems().get(0))).satisfies(whole -> assertThat(tree(whole)).isEqualTo(itemA));
        assertThat(tree(text.whole(page.getItems().get(1)))).isEqualTo(tree(b));
        assertThat(event.getObject()).isInstanceOfSatisfying(WorkloadResources.AppsV1Deployment.class, o -> {
            assertThat(WorkloadStore.isStandIn(o)).isTrue();
            assertThat(tree(text.whole(o))).isEqualTo(tree(a));
        });
    }

    @Test
    void inInitializerModeReadsAnInitializedObjectAsItsMetadataAndAPendingOneWhole() {
        KubernetesSerialization reading = new KubernetesSerialization(new ObjectMapper().registerModule(
                WorkloadStore.readingInitializedAsMetadata(List.of(WorkloadResources.AppsV1Deployment.class))), true);
        reading.registerKubernetesResource(WorkloadResources.AppsV1Deployment.class);
        WorkloadResources.AppsV1Deployment pending = full("pending", "5");
        WorkloadResources.AppsV1Deployment done = full("done", "6");
        done.getMetadata().getAdditionalProperties().remove("initializers");
        Map<String, Object> specFirst = new java.util.LinkedHashMap<>();
        specFirst.put("spec", Map.of("replicas", 2));
        specFirst.putAll(serialization.convertValue(done, Map.class));

        WorkloadResources.AppsV1Deployment readPending = reading.unmarshal(serialization.asJson(pending), WorkloadResources.AppsV1Deployment.class);
        WorkloadResources.AppsV1Deployment readDone = reading.unmarshal(serialization.asJson(done), WorkloadResources.AppsV1Deployment.class);
        WorkloadResources.AppsV1Deployment readSpecFirst = reading.unmarshal(serialization.asJson(specFirst), WorkloadResources.AppsV1Deployment.class);
        io.fabric8.kubernetes.api.model.WatchEvent event = reading.unmarshal(
                serialization.asJson(Map.of("type", "MODIFIED", "object", pending)), io.fabric8.kubernetes.api.model.WatchEvent.class);

        // Pending: exactly what Jackson reads without the module.
        assertThat(readPending).isEqualTo(serialization.unmarshal(serialization.asJson(pending), WorkloadResources.AppsV1Deployment.class));
        assertThat(readPending.getAdditionalProperties()).containsKey("spec");
        assertThat(event.getObject()).isEqualTo(readPending);
        // Initialized: what the store keeps of it, whichever comes first, spec or metadata.
        assertThat(readDone).isEqualTo(store.metadataOnly(done));
        assertThat(readDone.getAdditionalProperties()).isEmpty();
        assertThat(readSpecFirst).isEqualTo(store.metadataOnly(done));
    }
}
