package io.sidecarinitializer.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The concurrency tests are only as good as the mock: these pin that it bumps resourceVersion on every
 * write, refuses a JSON Patch whose test fails without applying any of it, and does optimistic locking on
 * Leases, as kube-apiserver does.
 */
class MockApiServerTest {
    private final ApiServer api = ApiServer.modern();
    private final Manifest hello = Manifest.deployment("default", "hello");

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void bumpsResourceVersionOnEveryWrite() {
        String created = api.create(hello.tree()).getMetadata().getResourceVersion();
        String first = patch("[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"a\":\"1\"}}]").getMetadata().getResourceVersion();
        String second = patch("[{\"op\":\"add\",\"path\":\"/metadata/labels/b\",\"value\":\"2\"}]").getMetadata().getResourceVersion();

        assertThat(Long.parseLong(first)).isGreaterThan(Long.parseLong(created));
        assertThat(Long.parseLong(second)).isGreaterThan(Long.parseLong(first));
    }

    @Test
    void rejectsPatchWhoseTestFailsAndAppliesNoneOfIt() {
        String version = api.create(hello.tree()).getMetadata().getResourceVersion();
        patch("[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"a\":\"1\"}}]");

        assertThatThrownBy(() -> patch("[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"" + version + "\"},"
                + "{\"op\":\"add\",\"path\":\"/metadata/labels/b\",\"value\":\"2\"}]"))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));
        Map<String, Object> after = api.tree("apps/v1", "Deployment", "deployments", "default", "hello");
        assertThat(Trees.at(after, "metadata", "labels")).isEqualTo(Map.of("a", "1"));
    }

    @Test
    void plainCrudDispatcherAlsoRefusesAFailedTestWithoutApplyingIt() {
        // Without ApiServerDispatcher's translation to 422 the CRUD dispatcher throws; the point is that it
        // applies nothing, so a 422 from our wrapper reflects the mock's real state.
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        String path = "/apis/apps/v1/namespaces/default/deployments";
        String body = api.client.getKubernetesSerialization().asJson(hello.tree());
        crud.dispatch(request(HttpMethod.POST, path, "application/json", body));

        assertThatThrownBy(() -> crud.dispatch(request(HttpMethod.PATCH, path + "/hello", "application/json-patch+json",
                "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"999\"},"
                        + "{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"b\":\"2\"}}]")))
                .isInstanceOf(RuntimeException.class);
        String stored = crud.dispatch(request(HttpMethod.GET, path + "/hello", null, "")).getBody().readUtf8();
        assertThat(stored).doesNotContain("\"b\":\"2\"").contains("\"resourceVersion\":\"1\"");
    }

    @Test
    void leasesUseOptimisticLocking() {
        Lease lease = api.client.leases().inNamespace(ApiServer.CONFIG_NS).resource(new LeaseBuilder()
                .withNewMetadata().withName("l").withNamespace(ApiServer.CONFIG_NS).endMetadata()
                .withNewSpec().withHolderIdentity("a").endSpec().build()).create();
        Lease stale = new LeaseBuilder(lease).build();
        lease.getSpec().setHolderIdentity("b");
        api.client.leases().inNamespace(ApiServer.CONFIG_NS).resource(lease).update();

        stale.getSpec().setHolderIdentity("c");
        assertThatThrownBy(() -> api.client.leases().inNamespace(ApiServer.CONFIG_NS).resource(stale).update())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
        assertThat(api.client.leases().inNamespace(ApiServer.CONFIG_NS).withName("l").get().getSpec().getHolderIdentity())
                .isEqualTo("b");
    }

    private GenericKubernetesResource patch(String ops) {
        return api.client.genericKubernetesResources(ApiServer.context("apps/v1", "Deployment", "deployments"))
                .inNamespace("default").withName("hello").patch(PatchContext.of(PatchType.JSON), ops);
    }

    private static RecordedRequest request(HttpMethod method, String path, String contentType, String body) {
        Headers.Builder headers = Headers.builder();
        if (contentType != null) {
            headers.add("Content-Type", contentType);
        }
        return new RecordedRequest("HTTP/1.1", method, path, headers.build(), new Buffer(body.getBytes(StandardCharsets.UTF_8)));
    }
}
