package io.sidecarinitializer.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A controller that cannot work says why and exits; one that can works around what it may. */
class StartupTest extends ControllerTestSupport {
    StartupTest() {
        super(ApiServer.modern(), Mode.AUTO);
    }

    @Test
    void aMissingPermissionFailsTheStartNamingVerbAndResource() {
        api.dispatcher.deny("patch deployments.apps");
        api.dispatcher.deny("update leases.coordination.k8s.io");

        assertThatThrownBy(() -> start(options("a").withLeaderElection(true)))
                .isInstanceOf(StartupException.class)
                .hasMessageStartingWith("forbidden: ")
                .hasMessageContaining("patch deployments.apps (cluster-wide)")
                .hasMessageContaining("update leases.coordination.k8s.io in namespace istio-system");
    }

    @Test
    void aForbiddenRequestDuringStartupIsReportedWithTheServersWords() {
        api.dispatcher.forbidGets("/api/v1/namespaces/istio-system/configmaps", "configmaps is forbidden: User \"system:serviceaccount:"
                + "istio-system:sidecar-initializer\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"istio-system\"");

        assertThatThrownBy(this::start)
                .isInstanceOf(StartupException.class)
                .hasMessageStartingWith("forbidden: configmaps is forbidden")
                .hasMessageContaining("cannot list resource \"configmaps\"");
    }

    @Test
    void anUnreachableApiServerFailsTheStart() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (KubernetesClient nowhere = new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory())
                .withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:" + port).withRequestRetryBackoffLimit(0)
                        .withConnectionTimeout(2000).build()).build()) {
            assertThatThrownBy(() -> SidecarController.start(nowhere, options("a")))
                    .isInstanceOf(StartupException.class)
                    .hasMessageContaining("cannot reach the API server at http://127.0.0.1:" + port);
        }
    }

    @Test
    void withoutLeasesLeaderElectionIsOffAndTheReplicaActs() throws InterruptedException {
        Map<String, Set<String>> apis = ApiServerDispatcher.initializerApis();
        apis.remove("coordination.k8s.io/v1"); // Kubernetes before 1.14
        try (ApiServer old = ApiServer.with(apis);
             SidecarController c = SidecarController.start(old.newClient(), options("a").withLeaderElection(true))) {
            assertThat(c.awaitReady(Poll.DEFAULT)).isTrue();
            assertThat(c.isLeader()).isTrue();
            assertThat(c.readiness()).contains("no leader election");
            Manifest m = Manifest.deployment("shop", "web").pending(Manifest.OURS);
            old.create(m.tree());
            Poll.until("initialized", () -> Trees.initialized(old.tree(m.apiVersion, m.kind, m.plural, m.namespace, m.name)));
        }
    }
}
