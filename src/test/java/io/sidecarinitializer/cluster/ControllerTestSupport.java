package io.sidecarinitializer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.micrometer.core.instrument.Counter;
import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/** Starts controllers against a fresh mock API server per test and stops them afterwards. */
public abstract class ControllerTestSupport {
    protected final ApiServer api;
    private final Mode mode;
    private final List<SidecarController> controllers = new ArrayList<>();

    /** JUnit makes an instance per test, so each test gets its own {@code api}; {@code mode}: what options() set. */
    protected ControllerTestSupport(ApiServer api, Mode mode) {
        this.api = api;
        this.mode = mode;
    }

    @AfterEach
    public void stopAll() {
        controllers.forEach(SidecarController::close);
        api.close();
    }

    public ControllerOptions options(String identity) {
        return ControllerOptions.defaults().withMode(mode).withHttpPort(ControllerOptions.NO_HTTP)
                .withLeaderElection(false).withIdentity(identity);
    }

    public SidecarController start() {
        return start(options("controller-a"));
    }

    /**
     * Starts a controller and waits until it is ready, which includes every watch being open: the mock
     * drops events for a watch whose WebSocket is not open yet, where a real API server would replay them.
     */
    public SidecarController start(ControllerOptions options) {
        SidecarController c = SidecarController.start(api.newClient(), options);
        controllers.add(c);
        try {
            assertThat(c.awaitReady(Poll.DEFAULT)).as("ready: %s", c.readiness()).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return c;
    }

    public static double count(SidecarController c, String name, String... tags) {
        Counter counter = c.meterRegistry().find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Waits until the controller has applied {@code n} good configurations in total (the first load is 1). */
    public static void awaitGoodConfigs(SidecarController c, int n) {
        Poll.until(n + " good configuration loads", () -> count(c, ControllerMetrics.CONFIG_RELOADS, "result", "ok") >= n);
    }

    public Map<String, Object> read(Manifest m) {
        return api.tree(m.apiVersion, m.kind, m.plural, m.namespace, m.name);
    }

    public Map<String, Object> awaitInitialized(Manifest m) {
        return Poll.value(m.kind + " " + m.namespace + "/" + m.name + " initialized", () -> {
            Map<String, Object> t = read(m);
            return Trees.initialized(t) ? t : null;
        });
    }

    public void createAll(Manifest... manifests) {
        for (Manifest m : manifests) {
            api.create(m.tree());
        }
    }

    public List<Event> eventsAbout(Manifest m) {
        return api.eventsAbout(m.namespace, m.name);
    }

    /** Waits for exactly one Event about the object and returns its reason. */
    public String awaitOneEvent(Manifest m) {
        Poll.until("an Event about " + m.name, () -> !eventsAbout(m).isEmpty());
        List<Event> events = eventsAbout(m);
        assertThat(events).hasSize(1);
        return events.get(0).getReason();
    }

    public static void assertInjected(Map<String, Object> tree) {
        assertThat(Trees.containers(tree)).containsExactly("app", "istio-proxy");
        assertThat(Trees.names(tree, "initContainers")).containsExactly("istio-init");
        assertThat(Trees.annotation(tree, "sidecar.istio.io/status")).contains("istio-proxy");
    }

    public static void assertNotInjected(Map<String, Object> tree) {
        assertThat(Trees.containers(tree)).containsExactly("app");
        assertThat(Trees.names(tree, "initContainers")).isEmpty();
        assertThat(Trees.annotation(tree, "sidecar.istio.io/status")).isNull();
    }

    /** PATCH requests the server received for an object, and how many of them it applied. */
    public long patches(Manifest m) {
        return api.dispatcher.patchesTo(m.path()).size();
    }

    public long appliedPatches(Manifest m) {
        return api.dispatcher.patchesTo(m.path()).stream().filter(s -> s.status() / 100 == 2).count();
    }
}
