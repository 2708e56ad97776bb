package io.sidecarinitializer.initializer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.cluster.Requests;
import io.sidecarinitializer.kube.WorkloadResources;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class IncludeUninitializedTest {
    private final IncludeUninitialized interceptor = new IncludeUninitialized(List.of(
            WorkloadResources.AppsV1Deployment.class, WorkloadResources.BatchV1Job.class,
            WorkloadResources.CoreV1ReplicationController.class));

    @Test
    void appliesToListWatchAndGetOfWatchedCollections() {
        assertThat(applies("GET", "https://k/apis/apps/v1/deployments?resourceVersion=0")).isTrue();
        assertThat(applies("GET", "https://k/apis/apps/v1/deployments?watch=true&resourceVersion=5")).isTrue();
        assertThat(applies("GET", "https://k/apis/apps/v1/namespaces/default/deployments/hello")).isTrue();
        assertThat(applies("GET", "https://k/apis/batch/v1/namespaces/x/jobs")).isTrue();
        assertThat(applies("GET", "https://k/api/v1/replicationcontrollers")).isTrue();
    }

    @Test
    void leavesEverythingElseAlone() {
        assertThat(applies("PATCH", "https://k/apis/apps/v1/namespaces/default/deployments/hello")).isFalse();
        assertThat(applies("GET", "https://k/apis/apps/v1/statefulsets")).isFalse();
        assertThat(applies("GET", "https://k/apis/extensions/v1beta1/deployments")).isFalse();
        assertThat(applies("GET", "https://k/api/v1/namespaces/istio-system/configmaps")).isFalse();
        assertThat(applies("GET", "https://k/apis/apps/v1/namespaces/default/deployments/hello/scale")).isFalse();
    }

    @Test
    void appendsTheParameterOnce() {
        assertThat(IncludeUninitialized.withParameter(URI.create("https://k:6443/apis/apps/v1/deployments?watch=true&resourceVersion=5")))
                .hasToString("https://k:6443/apis/apps/v1/deployments?watch=true&resourceVersion=5&includeUninitialized=true");
        assertThat(IncludeUninitialized.withParameter(URI.create("https://k/apis/apps/v1/deployments")))
                .hasToString("https://k/apis/apps/v1/deployments?includeUninitialized=true");
        URI already = URI.create("https://k/apis/apps/v1/deployments?includeUninitialized=true");
        assertThat(IncludeUninitialized.withParameter(already)).isSameAs(already);
    }

    private boolean applies(String method, String uri) {
        return interceptor.applies(Requests.of(method, uri));
    }
}
