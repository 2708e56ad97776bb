package io.sidecarinitializer.initializer;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.cluster.ApiServer;
import io.sidecarinitializer.cluster.ApiServerDispatcher;
import io.sidecarinitializer.cluster.ConfigWatcher;
import io.sidecarinitializer.cluster.ControllerMetrics;
import io.sidecarinitializer.cluster.ControllerTestSupport;
import io.sidecarinitializer.cluster.Manifest;
import io.sidecarinitializer.cluster.Mode;
import io.sidecarinitializer.cluster.SidecarController;
import io.sidecarinitializer.kube.PendingStore;
import io.sidecarinitializer.kube.SlimCopy;
import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** SPEC §5 on a CRUD mock API server that, like 1.7–1.13, serves InitializerConfigurations. */
class InitializerModeTest extends ControllerTestSupport {
    private static final String OTHER = "other.initializer.example.com";
    private static final String STATUS = "sidecar.istio.io/status";

    InitializerModeTest() {
        super(ApiServer.withInitializers(), Mode.INITIALIZER);
    }

    @Test
    void injectsAndInitializesPendingDeploymentStatefulSetJobAndDaemonSet() {
        SidecarController controller = start(options("a").withMode(Mode.AUTO));
        assertThat(controller.mode()).isEqualTo(Mode.INITIALIZER);
        Manifest deployment = Manifest.deployment("shop", "web").pending(Manifest.OURS);
        Manifest statefulSet = Manifest.statefulSet("shop", "db").pending(Manifest.OURS);
        Manifest job = Manifest.job("shop", "migrate").pending(Manifest.OURS);
        Manifest daemonSet = Manifest.daemonSet("shop", "agent").pending(Manifest.OURS);
        createAll(deployment, statefulSet, job, daemonSet);

        for (Manifest m : List.of(deployment, statefulSet, job, daemonSet)) {
            Map<String, Object> tree = awaitInitialized(m);
            assertInjected(tree);
            assertThat(patches(m)).as("PATCHes to %s", m.name).isEqualTo(1);
            assertThat(awaitOneEvent(m)).isEqualTo("Injected");
        }
        assertThat(count(controller, ControllerMetrics.INJECTIONS, "kind", "Job", "result", "injected", "reason", "policy_enabled"))
                .isEqualTo(1);
        assertThat(count(controller, ControllerMetrics.PENDING_SEEN, "kind", "StatefulSet")).isEqualTo(1);
        assertThat(controller.meterRegistry().find(ControllerMetrics.INITIALIZATION_LATENCY).timer().count()).isEqualTo(4);
    }

    @Test
    void readsWorkloadsIntoItsOwnClassesAndLeavesTheCallersClientAsItWas() throws InterruptedException {
        String json = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"x\"}}";
        KubernetesClient client = api.newClient();
        try (SidecarController c = SidecarController.start(client, options("a"))) {
            assertThat(c.awaitReady(Poll.DEFAULT)).isTrue();
            Manifest m = Manifest.deployment("shop", "web").pending(Manifest.OURS);
            createAll(m);
            assertInjected(awaitInitialized(m));
            // The controller's watches read Deployments as its own carrier class; whoever shares the client does not.
            assertThat(client.getKubernetesSerialization().unmarshal(json, KubernetesResource.class)).isInstanceOf(Deployment.class);
        }
    }

    @Test
    void listsAndWatchesWorkloadsWithIncludeUninitialized() {
        start();

        List<ApiServerDispatcher.Seen> workloadReads = api.dispatcher.requests().stream()
                .filter(s -> s.method().equals("GET") && s.path().matches("/apis/(apps|batch)/v1/(deployments|statefulsets|jobs|daemonsets)"))
                .toList();
        assertThat(workloadReads).extracting(ApiServerDispatcher.Seen::query)
                .hasSizeGreaterThanOrEqualTo(8) // a list and a watch per kind
                .allSatisfy(q -> assertThat(q).contains("includeUninitialized=true"));
        assertThat(api.dispatcher.requests()).filteredOn(s -> s.path().contains("/configmaps"))
                .allSatisfy(s -> assertThat(String.valueOf(s.query())).doesNotContain("includeUninitialized"));
    }

    @Test
    void leavesAnObjectAloneUntilOurEntryIsFirst() {
        SidecarController controller = start();
        Manifest waiting = Manifest.deployment("shop", "waiting").pending(OTHER, Manifest.OURS);
        createAll(waiting);
        Poll.until("the controller has seen the object", () ->
                count(controller, ControllerMetrics.PENDING_SEEN, "kind", "Deployment") == 1);

        assertThat(patches(waiting)).isZero();
        assertThat(Trees.pending(read(waiting))).containsExactly(OTHER, Manifest.OURS);

        // The other initializer finishes; now it is our turn.
        api.dispatcher.applyJsonPatch(waiting.path(), "[{\"op\":\"remove\",\"path\":\"/metadata/initializers/pending/0\"}]");
        assertInjected(awaitInitialized(waiting));
        assertThat(patches(waiting)).isEqualTo(1);
    }

    @Test
    void removesItselfButKeepsOtherInitializersInOrder() {
        start();
        Manifest first = Manifest.deployment("shop", "first").pending(Manifest.OURS, OTHER, "third.example.com");
        createAll(first);

        Map<String, Object> tree = Poll.value("our entry removed", () -> {
            Map<String, Object> t = read(first);
            return Trees.pending(t).equals(List.of(OTHER, "third.example.com")) ? t : null;
        });
        assertInjected(tree);
        assertThat(patches(first)).isEqualTo(1);
    }

    @Test
    void onlyRemovesItselfInSystemAndExcludedNamespaces() {
        api.putConfig("istio-inject", "config", "excludeNamespaces: [legacy]\n");
        start();
        Manifest system = Manifest.deployment("kube-system", "dns").pending(Manifest.OURS);
        Manifest excluded = Manifest.deployment("legacy", "old").pending(Manifest.OURS, OTHER);
        Manifest included = Manifest.deployment("shop", "web").pending(Manifest.OURS);
        createAll(system, excluded, included);

        assertNotInjected(awaitInitialized(system));
        Map<String, Object> excludedTree = Poll.value("excluded object released", () -> {
            Map<String, Object> t = read(excluded);
            return Trees.pending(t).equals(List.of(OTHER)) ? t : null;
        });
        assertNotInjected(excludedTree);
        assertInjected(awaitInitialized(included));

        assertOnlyRemoval(system);
        assertOnlyRemoval(excluded);
        assertThat(awaitOneEvent(excluded)).isEqualTo("Skipped");
        assertThat(eventsAbout(excluded).get(0).getMessage()).contains("excluded_namespace");
        // Nothing is written into system namespaces beyond our own entry's removal.
        assertThat(api.events("kube-system")).isEmpty();
    }

    @Test
    void onlyRemovesItselfInNamespacesNotIncluded() {
        api.putConfig("istio-inject", "config", "namespaces: [shop]\n");
        SidecarController controller = start();
        Manifest outside = Manifest.deployment("elsewhere", "app").pending(Manifest.OURS);
        Manifest inside = Manifest.deployment("shop", "app").pending(Manifest.OURS);
        createAll(outside, inside);

        assertNotInjected(awaitInitialized(outside));
        assertInjected(awaitInitialized(inside));
        assertOnlyRemoval(outside);
        assertThat(awaitOneEvent(outside)).isEqualTo("Skipped");
        assertThat(count(controller, ControllerMetrics.INJECTIONS, "kind", "Deployment", "result", "skipped",
                "reason", "namespace_not_included")).isEqualTo(1);
    }

    @Test
    void followsThePolicyTableAndAnnotations() {
        SidecarController controller = start();
        int loads = 1;
        record Row(String policy, String annotation, boolean injected) {}
        List<Row> rows = List.of(
                new Row("off", null, false), new Row("off", "true", false),
                new Row("disabled", null, false), new Row("disabled", "false", false), new Row("disabled", "true", true),
                new Row("enabled", null, true), new Row("enabled", "false", false), new Row("enabled", "true", true),
                new Row("enabled", "Yes", true), new Row("disabled", "on", true), new Row("enabled", "nope", false));
        String policy = "enabled";
        int i = 0;
        for (Row row : rows) {
            if (!row.policy().equals(policy)) {
                api.putConfig("istio-inject", "config", "policy: " + row.policy() + "\n");
                awaitGoodConfigs(controller, ++loads);
                policy = row.policy();
            }
            Manifest m = Manifest.deployment("shop", "row-" + i++).pending(Manifest.OURS);
            if (row.annotation() != null) {
                m.annotate("sidecar.istio.io/inject", row.annotation());
            }
            createAll(m);
            Map<String, Object> tree = awaitInitialized(m);
            assertThat(Trees.containers(tree).contains("istio-proxy")).as("%s", row).isEqualTo(row.injected());
            assertThat(awaitOneEvent(m)).as("%s", row).isEqualTo(row.injected() ? "Injected" : "Skipped");
        }
        assertThat(count(controller, ControllerMetrics.INJECTIONS, "kind", "Deployment", "result", "skipped", "reason", "policy_off"))
                .isEqualTo(2);
        assertThat(count(controller, ControllerMetrics.INJECTIONS, "kind", "Deployment", "result", "skipped",
                "reason", "annotation_disabled")).isEqualTo(3);
    }

    @Test
    void skipsHostNetworkAndAlreadyInjectedWorkloads() {
        start();
        Manifest host = Manifest.daemonSet("shop", "node-agent").hostNetwork().pending(Manifest.OURS);
        Manifest done = Manifest.deployment("shop", "done").annotate(STATUS, "{}").pending(Manifest.OURS);
        createAll(host, done);

        assertNotInjected(awaitInitialized(host));
        assertThat(Trees.containers(awaitInitialized(done))).containsExactly("app");
        Poll.until("skip event", () -> eventsAbout(host).size() == 1);
        assertThat(eventsAbout(host)).extracting(Event::getMessage).singleElement().asString().contains("host_network");
        Poll.until("skip event", () -> eventsAbout(done).size() == 1);
        assertThat(eventsAbout(done).get(0).getMessage()).contains("already_injected");
    }

    @Test
    void keepsTheLastGoodConfigAfterAnInvalidEditAndStillInitializes() {
        api.putConfig("istio-inject", "config", "policy: disabled\n");
        SidecarController controller = start();
        Logger watcherLog = (Logger) LoggerFactory.getLogger(ConfigWatcher.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        watcherLog.addAppender(logs);
        try {
            api.putConfig("istio-inject", "config", "policy: sometimes\n");
            Poll.until("the error is counted", () -> count(controller, ControllerMetrics.CONFIG_ERRORS) == 1);

            assertThat(count(controller, ControllerMetrics.CONFIG_RELOADS, "result", "error")).isEqualTo(1);
            assertThat(logs.list).anySatisfy(e -> {
                assertThat(e.getLevel().toString()).isEqualTo("ERROR");
                assertThat(e.getFormattedMessage()).contains("data.config field policy").contains("'sometimes'");
            });
            Poll.until("a Warning Event on the ConfigMap", () -> !api.eventsAbout(ApiServer.CONFIG_NS, "istio-inject").isEmpty());
            Event warning = api.eventsAbout(ApiServer.CONFIG_NS, "istio-inject").get(0);
            assertThat(warning.getType()).isEqualTo("Warning");
            assertThat(warning.getReason()).isEqualTo("InvalidConfig");
            assertThat(warning.getInvolvedObject().getKind()).isEqualTo("ConfigMap");
            assertThat(warning.getMessage()).contains("policy").contains("last good configuration");
        } finally {
            watcherLog.detachAppender(logs);
        }

        // Still "disabled" (the SPEC default would be "enabled"): only the annotated object gets the sidecar.
        Manifest plain = Manifest.deployment("shop", "plain").pending(Manifest.OURS);
        Manifest asking = Manifest.deployment("shop", "asking").annotate("sidecar.istio.io/inject", "true").pending(Manifest.OURS);
        createAll(plain, asking);
        assertNotInjected(awaitInitialized(plain));
        assertInjected(awaitInitialized(asking));
        assertThat(controller.readiness()).contains("config problem");
    }

    @Test
    void reportsAnInvalidMeshEditOnTheMeshConfigMap() {
        api.putConfig("istio", "mesh", "defaultConfig:\n  drainDuration: 5s\n");
        SidecarController controller = start();
        api.putConfig("istio", "mesh", "defaultConfig:\n  drainDuration: soon\n");
        Poll.until("a Warning Event on the mesh ConfigMap", () -> !api.eventsAbout(ApiServer.CONFIG_NS, "istio").isEmpty());

        assertThat(api.eventsAbout(ApiServer.CONFIG_NS, "istio").get(0).getMessage())
                .contains("data.mesh field defaultConfig.drainDuration").contains("'soon'");
        assertThat(count(controller, ControllerMetrics.CONFIG_ERRORS)).isEqualTo(1);
        Manifest m = Manifest.deployment("shop", "web").pending(Manifest.OURS);
        createAll(m);
        assertThat(String.valueOf(Trees.podSpec(awaitInitialized(m)).get("containers"))).contains("--drainDuration, 5s");
    }

    @Test
    void failsOpenWhenNoValidConfigWasEverLoaded() {
        api.putConfig("istio-inject", "config", "initializerName: custom.initializer.example.com\npolicy: [not, a, policy]\n");
        SidecarController controller = start();
        Manifest m = Manifest.deployment("shop", "web").pending("custom.initializer.example.com", OTHER);
        createAll(m);

        Map<String, Object> tree = Poll.value("our entry removed", () -> {
            Map<String, Object> t = read(m);
            return Trees.pending(t).equals(List.of(OTHER)) ? t : null;
        });
        assertNotInjected(tree);
        assertThat(awaitOneEvent(m)).isEqualTo("InjectionFailed");
        assertThat(eventsAbout(m).get(0).getType()).isEqualTo("Warning");
        assertThat(count(controller, ControllerMetrics.FAIL_OPEN, "kind", "Deployment", "cause", "config")).isEqualTo(1);
        assertThat(controller.isReady()).isTrue();
    }

    @Test
    void failsOpenOnAnUnreadableObject() {
        SidecarController controller = start();
        Manifest m = Manifest.deployment("shop", "broken").podSpec("not a pod spec").pending(Manifest.OURS);
        createAll(m);

        awaitInitialized(m);
        assertThat(awaitOneEvent(m)).isEqualTo("InjectionFailed");
        assertThat(eventsAbout(m).get(0).getMessage()).contains("spec.template.spec must be a mapping");
        assertThat(count(controller, ControllerMetrics.FAIL_OPEN, "kind", "Deployment", "cause", "unreadable")).isEqualTo(1);
    }

    @Test
    void failsOpenWhenTheEngineCannotInject() {
        SidecarController controller = start();
        Map<String, Object> spec = Map.of(
                "containers", List.of(Map.of("name", "app", "image", "nginx")),
                "volumes", List.of(Map.of("name", "istio-envoy", "emptyDir", Map.of())));
        Manifest m = Manifest.deployment("shop", "taken").podSpec(spec).pending(Manifest.OURS);
        createAll(m);

        Map<String, Object> tree = awaitInitialized(m);
        assertThat(Trees.containers(tree)).containsExactly("app");
        assertThat(awaitOneEvent(m)).isEqualTo("InjectionFailed");
        assertThat(eventsAbout(m).get(0).getMessage()).contains("istio-envoy");
        assertThat(count(controller, ControllerMetrics.FAIL_OPEN, "kind", "Deployment", "cause", "injection")).isEqualTo(1);
        assertThat(count(controller, ControllerMetrics.INJECTIONS, "kind", "Deployment", "result", "failed", "reason", "injection"))
                .isEqualTo(1);
    }

    @Test
    void failsOpenWhenTheApiServerRejectsTheInjectedObject() {
        SidecarController controller = start();
        api.dispatcher.rejectPatchesWhere(body -> body.contains("istio-proxy"));
        Manifest m = Manifest.deployment("shop", "strict").pending(Manifest.OURS);
        createAll(m);

        assertNotInjected(awaitInitialized(m));
        assertThat(api.dispatcher.patchesTo(m.path())).extracting(ApiServerDispatcher.Seen::status).containsExactly(422, 202);
        assertThat(awaitOneEvent(m)).isEqualTo("InjectionFailed");
        // The operator reads the server's Status, as the Event tells it.
        assertThat(eventsAbout(m).get(0).getMessage()).contains("HTTP 422: the object is invalid (rejected by the test server)");
        assertThat(count(controller, ControllerMetrics.FAIL_OPEN, "kind", "Deployment", "cause", "rejected")).isEqualTo(1);
    }

    @Test
    void aConcurrentEditBetweenReadAndPatchIsNeitherLostNorOverwritten() {
        start();
        Manifest m = Manifest.deployment("shop", "busy").pending(Manifest.OURS);
        api.dispatcher.beforeNextPatch(m.path(), server -> server.applyJsonPatch(m.path(),
                "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"team\":\"payments\"}}]"));
        createAll(m);

        Map<String, Object> tree = awaitInitialized(m);
        assertInjected(tree);
        assertThat(Trees.at(tree, "metadata", "labels", "team")).isEqualTo("payments");
        // The first PATCH carried a stale resourceVersion test and was refused; the retry used a fresh read.
        assertThat(api.dispatcher.patchesTo(m.path())).extracting(ApiServerDispatcher.Seen::status).containsExactly(422, 202);
        assertThat(awaitOneEvent(m)).isEqualTo("Injected");
    }

    @Test
    void aConcurrentInjectionIsNotRepeated() {
        start();
        Manifest m = Manifest.deployment("shop", "raced").pending(Manifest.OURS);
        api.dispatcher.beforeNextPatch(m.path(), server -> server.applyJsonPatch(m.path(),
                "[{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/-\",\"value\":{\"name\":\"istio-proxy\",\"image\":\"by-someone-else\"}}]"));
        createAll(m);

        Map<String, Object> tree = awaitInitialized(m);
        assertThat(Trees.containers(tree)).containsExactly("app", "istio-proxy");
        assertThat(Trees.proxyImage(tree)).isEqualTo("by-someone-else");
        assertThat(awaitOneEvent(m)).isEqualTo("Skipped");
        assertThat(eventsAbout(m).get(0).getMessage()).contains("already_injected");
    }

    @Test
    void initializesObjectsCreatedWhileItWasDown() {
        start(options("first")).close();
        Manifest a = Manifest.deployment("shop", "during-outage-1").pending(Manifest.OURS);
        Manifest b = Manifest.job("shop", "during-outage-2").pending(OTHER, Manifest.OURS);
        Manifest c = Manifest.statefulSet("shop", "during-outage-3").pending(Manifest.OURS, OTHER);
        createAll(a, b, c);
        api.dispatcher.applyJsonPatch(b.path(), "[{\"op\":\"remove\",\"path\":\"/metadata/initializers/pending/0\"}]");

        start(options("second"));
        assertInjected(awaitInitialized(a));
        assertInjected(awaitInitialized(b));
        Poll.until("c released to the next initializer", () -> Trees.pending(read(c)).equals(List.of(OTHER)));
        assertInjected(read(c));
    }

    @Test
    void initializesABacklogLargerThanTheWholeObjectsItCaches() {
        start(options("first")).close();
        int backlog = PendingStore.WHOLE_LIMIT + 50;
        List<Manifest> all = new ArrayList<>();
        for (int i = 0; i < backlog; i++) {
            Manifest m = Manifest.deployment("backlog", String.format("d%04d", i)).pending(i % 2 == 0 ? Manifest.OURS : OTHER);
            all.add(m);
            api.create(m.tree());
        }

        start(options("second"));
        // Where we are first: injected and initialized; where we are second: untouched, stand-ins or not.
        Poll.until("every Deployment of the backlog where we are first initialized", Duration.ofSeconds(60),
                () -> api.client.genericKubernetesResources(ApiServer.context("apps/v1", "Deployment", "deployments"))
                        .inNamespace("backlog").list().getItems().stream()
                        .filter(r -> r.getMetadata().getAdditionalProperties().get("initializers") == null).count() == backlog / 2);
        for (Manifest m : List.of(all.get(0), all.get(backlog - 2), all.get(backlog - 1))) {
            Map<String, Object> tree = read(m);
            if (all.indexOf(m) % 2 == 0) {
                assertInjected(tree);
                assertThat(Trees.annotation(tree, SlimCopy.STAND_IN)).isNull();
                assertThat(tree.toString()).doesNotContain(SlimCopy.STAND_IN);
            } else {
                assertThat(Trees.pending(tree)).containsExactly(OTHER);
                assertNotInjected(tree);
            }
        }
    }

    @Test
    void aConfigEditChangesTheNextInjectionWithoutARestart() {
        SidecarController controller = start();
        Manifest before = Manifest.deployment("shop", "before").pending(Manifest.OURS);
        createAll(before);
        assertThat(Trees.proxyImage(awaitInitialized(before))).isEqualTo("docker.io/istio/proxy:" + BuildInfo.istioVersion());

        api.putConfig("mesh", "mesh", "proxyListenPort: 15002\n"); // not referenced yet: changes nothing
        api.putConfig("istio-inject", "config", "params:\n  proxyImage: registry.example.com/proxy:2\n  meshConfigMapName: mesh\n");
        awaitGoodConfigs(controller, 2);

        Manifest after = Manifest.deployment("shop", "after").pending(Manifest.OURS);
        createAll(after);
        Map<String, Object> tree = awaitInitialized(after);
        assertThat(Trees.proxyImage(tree)).isEqualTo("registry.example.com/proxy:2");
        assertThat(String.valueOf(Trees.podSpec(tree).get("initContainers"))).contains("-p, 15002");
        assertThat(Trees.proxyImage(read(before))).isEqualTo("docker.io/istio/proxy:" + BuildInfo.istioVersion());
    }

    @Test
    void withAllKindsWatchesTheCronJobVersionTheServerServes() {
        start(options("a").withAllKinds(true));
        Manifest cron = Manifest.cronJob("batch/v1beta1", "shop", "nightly").pending(Manifest.OURS);
        Manifest rs = Manifest.replicaSet("shop", "bare").pending(Manifest.OURS);
        createAll(cron, rs);

        assertInjected(awaitInitialized(cron));
        assertInjected(awaitInitialized(rs));
        assertThat(api.dispatcher.requests()).anySatisfy(s -> assertThat(s.path()).isEqualTo("/apis/batch/v1beta1/cronjobs"));
    }

    private void assertOnlyRemoval(Manifest m) {
        List<ApiServerDispatcher.Seen> sent = api.dispatcher.patchesTo(m.path());
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).body()).doesNotContain("istio-proxy").doesNotContain(STATUS).contains("\"remove\"");
    }
}
