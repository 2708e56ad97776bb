package io.sidecarinitializer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.sidecarinitializer.testing.Poll;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Two replicas against one API server: each object is initialized, and patched, exactly once. */
class HighAvailabilityTest extends ControllerTestSupport {
    HighAvailabilityTest() {
        super(ApiServer.withInitializers(), Mode.INITIALIZER);
    }

    @Test
    void withLeaderElectionOnlyTheLeaderPatchesAndEachObjectOnce() {
        SidecarController a = start(options("replica-a").withLeaderElection(true));
        SidecarController b = start(options("replica-b").withLeaderElection(true));
        Poll.until("a leader", () -> a.isLeader() || b.isLeader());
        SidecarController leader = a.isLeader() ? a : b;
        SidecarController standby = leader == a ? b : a;
        assertThat(standby.isLeader()).isFalse();
        assertThat(a.isReady()).isTrue();
        assertThat(b.isReady()).as("a standby counts as ready").isTrue();
        Lease lease = api.client.leases().inNamespace(ApiServer.CONFIG_NS).withName(ControllerOptions.DEFAULT_LEASE_NAME).get();
        assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(leader == a ? "replica-a" : "replica-b");

        List<Manifest> objects = objects();
        objects.forEach(m -> api.create(m.tree()));

        for (Manifest m : objects) {
            assertInjected(awaitInitialized(m));
        }
        for (Manifest m : objects) {
            assertThat(patches(m)).as("PATCH requests to %s", m.name).isEqualTo(1);
            // Events are written by a background thread after the PATCH; wait for one, then make sure it stays one.
            Poll.until("an Event about " + m.name, () -> !eventsAbout(m).isEmpty());
            assertThat(eventsAbout(m)).as("Events about %s", m.name).hasSize(1);
        }
        assertThat(count(leader, ControllerMetrics.INJECTIONS, "kind", "Deployment", "result", "injected", "reason", "policy_enabled"))
                .isEqualTo(3);
        assertThat(standby.meterRegistry().find(ControllerMetrics.INJECTIONS).counters()).isEmpty();
    }

    @Test
    void withoutLeaderElectionTheTestOperationsAloneKeepEachInjectionSingle() {
        start(options("replica-a"));
        start(options("replica-b"));
        List<Manifest> objects = objects();
        objects.forEach(m -> api.create(m.tree()));

        for (Manifest m : objects) {
            Map<String, Object> tree = awaitInitialized(m);
            assertInjected(tree); // exactly one istio-proxy, one istio-init
            assertThat(appliedPatches(m)).as("PATCHes applied to %s", m.name).isEqualTo(1);
            assertThat(api.dispatcher.patchesTo(m.path())).as("PATCHes refused for %s", m.name)
                    .filteredOn(s -> s.status() / 100 != 2).allSatisfy(s -> assertThat(s.status()).isEqualTo(422));
            Poll.until("an Event about " + m.name, () -> !eventsAbout(m).isEmpty());
            assertThat(eventsAbout(m)).as("Events about %s", m.name).hasSize(1);
        }
    }

    private static List<Manifest> objects() {
        List<Manifest> objects = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            objects.add(Manifest.deployment("shop", "web-" + i).pending(Manifest.OURS));
            objects.add(Manifest.statefulSet("shop", "db-" + i).pending(Manifest.OURS));
        }
        return objects;
    }
}
