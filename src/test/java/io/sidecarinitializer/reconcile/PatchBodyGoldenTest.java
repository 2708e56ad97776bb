package io.sidecarinitializer.reconcile;

import io.sidecarinitializer.cluster.ApiServer;
import io.sidecarinitializer.cluster.ControllerTestSupport;
import io.sidecarinitializer.cluster.Manifest;
import io.sidecarinitializer.cluster.Mode;
import io.sidecarinitializer.cluster.PatchBodies;
import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import org.junit.jupiter.api.Test;

/** The PATCH body reconcile mode sends, against a golden file (regenerate with {@code -Dgolden.update=true}). */
class PatchBodyGoldenTest extends ControllerTestSupport {
    PatchBodyGoldenTest() {
        super(ApiServer.modern(), Mode.RECONCILE);
    }

    @Test
    void injectsInPlace() {
        api.putConfig("istio-inject", "config", "params:\n  version: golden\n");
        Manifest m = Manifest.deployment("shop", "web");
        start();
        createAll(m);

        Poll.until("injected", () -> Trees.containers(read(m)).contains("istio-proxy"));
        PatchBodies.assertMatchGolden(api, m, "reconcile-injection");
    }
}
