package io.sidecarinitializer.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.sidecarinitializer.cluster.ApiServer;
import io.sidecarinitializer.cluster.ApiServerDispatcher;
import io.sidecarinitializer.cluster.ControllerMetrics;
import io.sidecarinitializer.cluster.ControllerTestSupport;
import io.sidecarinitializer.cluster.Manifest;
import io.sidecarinitializer.cluster.Mode;
import io.sidecarinitializer.cluster.SidecarController;
import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SPEC §5, last paragraph: API servers without Initializers (1.14+). */
class ReconcileModeTest extends ControllerTestSupport {
    ReconcileModeTest() {
        super(ApiServer.modern(), Mode.RECONCILE);
    }

    @Test
    void autoModeChoosesReconcileWhenTheServerHasNoInitializers() {
        SidecarController controller = start(options("a").withMode(Mode.AUTO));

        assertThat(controller.mode()).isEqualTo(Mode.RECONCILE);
        assertThat(api.dispatcher.requests()).noneSatisfy(s -> assertThat(String.valueOf(s.query())).contains("includeUninitialized"));
    }

    @Test
    void injectsSelectedWorkloadsThatAreNotInjectedYet() {
        Manifest existing = Manifest.deployment("shop", "existing");
        createAll(existing);
        SidecarController controller = start();
        Manifest fresh = Manifest.statefulSet("shop", "fresh");
        Manifest agent = Manifest.daemonSet("shop", "agent");
        createAll(fresh, agent);

        for (Manifest m : List.of(existing, fresh, agent)) {
            Map<String, Object> tree = Poll.value(m.name + " injected", () -> {
                Map<String, Object> t = read(m);
                return Trees.containers(t).contains("istio-proxy") ? t : null;
            });
            assertInjected(tree);
            assertThat(awaitOneEvent(m)).isEqualTo("Injected");
        }
        // Our own PATCH brings the object back as already injected: nothing more is sent.
        api.dispatcher.applyJsonPatch(existing.path(), "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"touched\":\"yes\"}}]");
        Poll.until("the label reached the controller", () -> "yes".equals(Trees.at(read(existing), "metadata", "labels", "touched")));
        assertThat(patches(existing)).isEqualTo(1);
        assertThat(count(controller, ControllerMetrics.INJECTIONS, "kind", "Deployment", "result", "injected", "reason", "policy_enabled"))
                .isEqualTo(1);
    }

    @Test
    void leavesInjectedOptedOutAndSystemWorkloadsAlone() {
        Manifest injected = Manifest.deployment("shop", "injected").annotate("sidecar.istio.io/status", "{}");
        Manifest optedOut = Manifest.deployment("shop", "opted-out").annotate("sidecar.istio.io/inject", "false");
        Manifest system = Manifest.deployment("kube-system", "dns");
        Manifest marker = Manifest.deployment("shop", "marker");
        createAll(injected, optedOut, system, marker);
        SidecarController controller = start();
        Poll.until("marker injected", () -> Trees.containers(read(marker)).contains("istio-proxy"));

        assertThat(awaitOneEvent(optedOut)).isEqualTo("Skipped");
        assertThat(eventsAbout(optedOut).get(0).getMessage()).contains("annotation_disabled");
        for (Manifest m : List.of(injected, optedOut, system)) {
            assertThat(patches(m)).as(m.name).isZero();
        }
        assertThat(eventsAbout(injected)).isEmpty();
        assertThat(api.events("kube-system")).isEmpty();
        assertThat(count(controller, ControllerMetrics.INJECTIONS, "kind", "Deployment", "result", "skipped",
                "reason", "system_namespace")).isEqualTo(1);
    }

    @Test
    void warnsOnceThatAJobTemplateIsImmutableAndNeverPatchesIt() {
        SidecarController controller = start();
        Manifest job = Manifest.job("shop", "batch");
        createAll(job);
        Poll.until("the Warning", () -> !eventsAbout(job).isEmpty());

        // Later updates bring the Job back to the reconciler; the Warning is not repeated and nothing is patched.
        for (int i = 0; i < 3; i++) {
            api.dispatcher.applyJsonPatch(job.path(), "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"round\":\"" + i + "\"}}]");
        }
        Manifest marker = Manifest.deployment("shop", "marker");
        createAll(marker);
        Poll.until("marker injected", () -> Trees.containers(read(marker)).contains("istio-proxy"));

        List<Event> events = eventsAbout(job);
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getReason()).isEqualTo("JobTemplateImmutable");
            assertThat(e.getInvolvedObject().getKind()).isEqualTo("Job");
        });
        assertThat(patches(job)).isZero();
        assertNotInjected(read(job));
        assertThat(count(controller, ControllerMetrics.INJECTIONS, "kind", "Job", "result", "failed",
                "reason", "job_template_immutable")).isEqualTo(1);
    }

    @Test
    void aConcurrentEditIsKeptAndTheInjectionHappensOnce() {
        SidecarController controller = start();
        Manifest m = Manifest.deployment("shop", "busy");
        api.dispatcher.beforeNextPatch(m.path(), server -> server.applyJsonPatch(m.path(),
                "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"team\":\"payments\"}}]"));
        createAll(m);

        Map<String, Object> tree = Poll.value("injected", () -> {
            Map<String, Object> t = read(m);
            return Trees.containers(t).contains("istio-proxy") ? t : null;
        });
        assertInjected(tree);
        assertThat(Trees.at(tree, "metadata", "labels", "team")).isEqualTo("payments");
        assertThat(api.dispatcher.patchesTo(m.path())).extracting(ApiServerDispatcher.Seen::status).containsExactly(422, 202);
        // The second attempt works on the object read again after the conflict; it is not reported as a failure.
        Poll.until("the Injected Event", () -> eventsAbout(m).stream().anyMatch(e -> e.getReason().equals("Injected")));
        assertThat(eventsAbout(m)).extracting(Event::getType).containsOnly("Normal");
        assertThat(controller.meterRegistry().find(ControllerMetrics.INJECTIONS).tags("result", "failed").counters()).isEmpty();
    }

    @Test
    void watchesCronJobsReplicaSetsWithAllKinds() {
        start(options("a").withAllKinds(true));
        Manifest cron = Manifest.cronJob("batch/v1", "shop", "nightly");
        Manifest rs = Manifest.replicaSet("shop", "bare");
        createAll(cron, rs);

        Poll.until("cron job injected", () -> Trees.containers(read(cron)).contains("istio-proxy"));
        Poll.until("replica set injected", () -> Trees.containers(read(rs)).contains("istio-proxy"));
    }
}
