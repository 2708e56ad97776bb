package io.sidecarinitializer.initializer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.cluster.ApiServer;
import io.sidecarinitializer.cluster.ControllerTestSupport;
import io.sidecarinitializer.cluster.Manifest;
import io.sidecarinitializer.cluster.Mode;
import io.sidecarinitializer.cluster.PatchBodies;
import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The PATCH bodies initializer mode sends, against golden files (regenerate with {@code -Dgolden.update=true}). */
class PatchBodyGoldenTest extends ControllerTestSupport {
    private static final String OTHER = "other.initializer.example.com";

    PatchBodyGoldenTest() {
        super(ApiServer.withInitializers(), Mode.INITIALIZER);
    }

    @BeforeEach
    void versionedConfig() {
        api.putConfig("istio-inject", "config", "params:\n  version: golden\n");
    }

    @Test
    void firstWithOthersPendingInjectsAndRemovesOnlyOurEntry() {
        Manifest m = Manifest.deployment("shop", "web").pending(Manifest.OURS, OTHER);
        start();
        createAll(m);

        Poll.until("our entry removed", () -> Trees.pending(read(m)).equals(List.of(OTHER)));
        PatchBodies.assertMatchGolden(api, m, "initializer-first-of-two");
    }

    @Test
    void notFirstSendsNoPatch() {
        Manifest waiting = Manifest.deployment("shop", "waiting").pending(OTHER, Manifest.OURS);
        Manifest ours = Manifest.deployment("shop", "ours").pending(Manifest.OURS);
        start();
        createAll(waiting, ours);

        awaitInitialized(ours); // reconciled after the first: the first had its turn by then
        assertThat(patches(waiting)).isZero();
        assertThat(Trees.pending(read(waiting))).containsExactly(OTHER, Manifest.OURS);
    }

    @Test
    void lastEntryRemovesInitializersAltogether() {
        Manifest m = Manifest.deployment("shop", "web").pending(Manifest.OURS);
        start();
        createAll(m);

        awaitInitialized(m);
        PatchBodies.assertMatchGolden(api, m, "initializer-last");
    }

    @Test
    void refusedInjectionIsFollowedByTheRemovalAlone() {
        api.dispatcher.rejectPatchesWhere(body -> body.contains("istio-proxy"));
        Manifest m = Manifest.deployment("shop", "web").pending(Manifest.OURS);
        start();
        createAll(m);

        assertNotInjected(awaitInitialized(m));
        PatchBodies.assertMatchGolden(api, m, "initializer-fail-open");
    }
}
