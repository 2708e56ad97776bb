package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue bullets 2 and 3: the controller jar runs as the Deployment in manifests/reconcile runs it (its args, under its
 * ServiceAccount's token, with only the manifests' RBAC), in reconcile mode, on every sample; the result is read
 * back with kubectl. {@code --all-kinds} is added so the CronJob sample and the ClusterRole's extra kinds are
 * exercised too. The samples are applied before the controller starts (it must inject what already exists);
 * {@link ConfigMapReloadIT} covers workloads created while it runs.
 */
@RealKubeApiServer
class ReconcileSamplesIT {
    private static final String IDENTITY = "e2e-reconcile";
    private static final Duration PROCESSING = Duration.ofSeconds(60);
    /** Skips the controller reports with an Event in reconcile mode (README, "Events"): those the workload chose. */
    private static final Set<String> SKIPS_WITH_EVENTS = Set.of("annotation_disabled", "host_network");

    private static KubeEnvironment env;
    private static Kubectl kubectl;
    private static Manifests manifests;
    private static ControllerProcess controller;
    private static String namespace;
    private static List<Expected> expected;
    private static Map<String, Object> kubeSystemSample;
    private static AssertionError outcomesMissing;

    /** One sample workload and what SPEC §3 (and the README's reconcile-mode rules) say must happen to it. */
    record Expected(Map<String, Object> sample, SpecDecision decision) {
        String kind() {
            return Trees.kind(sample);
        }

        String name() {
            return Trees.name(sample);
        }

        /** A Job's pod template is immutable: the controller reports instead of patching. */
        boolean patched() {
            return decision.inject() && !kind().equals("Job");
        }

        String eventReason() {
            if (decision.inject()) {
                return kind().equals("Job") ? "JobTemplateImmutable" : "Injected";
            }
            return SKIPS_WITH_EVENTS.contains(decision.reason()) ? "Skipped" : null;
        }

        String eventType() {
            return "JobTemplateImmutable".equals(eventReason()) ? "Warning" : "Normal";
        }

        Map<String, Object> live() {
            return kubectl.yaml("get", kind().toLowerCase(Locale.ROOT), name(), "-n", namespace);
        }

        @Override
        public String toString() {
            return kind() + "/" + name() + " -> " + (decision.inject() ? "inject" : "skip") + " (" + decision.reason() + ")";
        }
    }

    @BeforeAll
    static void applySamplesAndStartTheController(KubeEnvironment environment) {
        env = environment;
        kubectl = env.kubectl();
        manifests = new Manifests(env.projectDir());
        env.applyReconcileManifests().assertOk();

        namespace = env.freshNamespace("samples");
        kubectl.okWithInput(manifests.samplesForKube120(), "apply", "-n", namespace, "-f", "-");
        SpecDecision.Policy policy = SpecDecision.Policy.of(manifests.injectConfig());
        expected = manifests.sampleWorkloads().stream().map(w -> new Expected(w, SpecDecision.of(policy, namespace, w))).toList();

        // A workload the policy would inject anywhere else, in kube-system.
        kubeSystemSample = Manifests.documents(env.projectDir().resolve("manifests/samples/sleep.yaml")).stream()
                .filter(d -> "Deployment".equals(Trees.kind(d))).findFirst().orElseThrow();
        kubectl.okWithInput(Manifests.read(env.projectDir().resolve("manifests/samples/sleep.yaml")), "apply", "-n", "kube-system", "-f", "-");

        List<String> args = new ArrayList<>(manifests.controller().args());
        args.add("--all-kinds");
        args.add("--identity=" + IDENTITY);
        controller = env.startController("ReconcileSamplesIT-controller", args).awaitReady(Duration.ofSeconds(90));
    }

    @AfterAll
    static void stopTheController() {
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void theSamplesCoverBothOutcomesAndEveryDefaultKind() {
        // Guards the other tests against passing vacuously when the samples change.
        assertThat(expected).as("%s", expected).anyMatch(Expected::patched).anyMatch(e -> !e.decision().inject());
        assertThat(expected).extracting(Expected::kind).contains("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob");
    }

    @Test
    void eachSampleIsInjectedOrSkippedAsSpecSection3Says() {
        String proxyImage = manifests.injectParam("proxyImage");
        String version = manifests.injectParam("version") == null ? BuildInfo.version() : manifests.injectParam("version");
        awaitEveryOutcome();

        for (Expected e : expected) {
            Map<String, Object> live = e.live();
            if (e.patched()) {
                Injection.assertInjected(e.sample(), live, proxyImage, version);
            } else {
                Injection.assertNotInjected(e.sample(), live);
            }
        }
    }

    @Test
    void everyOutcomeIsReportedAsAnEventOnTheWorkload() {
        awaitEveryOutcome();

        List<Map<String, Object>> events = Events.ours(kubectl, namespace);
        for (Expected e : expected) {
            List<Map<String, Object>> about = Events.about(events, e.kind(), e.name());
            if (e.eventReason() == null) {
                assertThat(about).as("Events about %s", e).isEmpty();
                continue;
            }
            assertThat(about).as("Events about %s", e).singleElement().satisfies(event -> {
                assertThat(Trees.string(event, "reason")).isEqualTo(e.eventReason());
                assertThat(Trees.string(event, "type")).isEqualTo(e.eventType());
                assertThat(Trees.string(event, "source", "host")).isEqualTo(IDENTITY);
                assertThat(Trees.string(event, "involvedObject", "namespace")).isEqualTo(namespace);
                if (e.eventReason().equals("Skipped")) {
                    assertThat(Trees.string(event, "message")).contains("(" + e.decision().reason() + ")");
                }
                if (e.eventReason().equals("Injected")) {
                    assertThat(Trees.string(event, "message")).contains(Trees.annotation(e.live(), Trees.STATUS_ANNOTATION));
                }
            });
        }
    }

    @Test
    void kubeSystemIsNeverTouched() {
        assertThat(SpecDecision.of(SpecDecision.Policy.of(manifests.injectConfig()), "kube-system", kubeSystemSample))
                .isEqualTo(new SpecDecision(false, "system_namespace"));
        awaitEveryOutcome(); // the controller has processed the others...
        // ...and has decided about this one (reconcile mode reports system-namespace skips only in its log).
        Poll.until("the controller to log its decision about kube-system/sleep", PROCESSING,
                () -> "system_namespace".equals(controller.loggedReason("kube-system", "Deployment", "sleep")));
        Poll.until("the controller to log its decision about its own Deployment", PROCESSING,
                () -> "system_namespace".equals(controller.loggedReason("istio-system", "Deployment", "sidecar-initializer")));

        Map<String, Object> live = kubectl.yaml("get", "deployment", "sleep", "-n", "kube-system");
        Injection.assertNotInjected(kubeSystemSample, live);
        // Never written to by the controller: only kubectl and kube-controller-manager's Deployment controller (its status
        // and revision annotation) appear among the writers the server records.
        assertThat(Trees.list(live, "metadata", "managedFields").stream().map(f -> Trees.string(f, "manager")).distinct().toList())
                .as("managers of kube-system/sleep").isSubsetOf("kubectl-client-side-apply", "kube-controller-manager");
        assertThat(Events.ours(kubectl, "kube-system")).as("Events in kube-system").isEmpty();
        assertThat(Events.ours(kubectl, "istio-system")).as("Events about workloads in istio-system")
                .noneMatch(event -> !"ConfigMap".equals(Trees.string(event, "involvedObject", "kind")));
        Injection.assertNotInjected(Manifests.documents(env.projectDir().resolve("manifests/reconcile/deployment.yaml")).get(0),
                kubectl.yaml("get", "deployment", "sidecar-initializer", "-n", "istio-system"));
    }

    @Test
    void runsAsItsServiceAccountAndTheManifestsRbacCoversEverythingItDoes() throws Exception {
        Kubectl asServiceAccount = env.kubectlAsServiceAccount();
        // The kubeconfig the controller uses is that identity, with the manifests' grants and nothing more.
        assertThat(asServiceAccount.canI("patch", "deployments.apps", "--all-namespaces")).isTrue();
        assertThat(asServiceAccount.canI("watch", "cronjobs.batch", "--all-namespaces")).isTrue();
        assertThat(asServiceAccount.canI("list", "secrets", "--all-namespaces")).isFalse();
        assertThat(asServiceAccount.canI("create", "deployments.apps", "-n", namespace)).isFalse();
        assertThat(asServiceAccount.canI("update", "configmaps", "-n", "istio-system")).isFalse();

        awaitEveryOutcome(); // patches and Events written: the verbs it needs were all used

        // Leader election on the Lease worked with the Role's lease verbs.
        Map<String, Object> lease = kubectl.yaml("get", "lease", "sidecar-initializer", "-n", "istio-system");
        assertThat(Trees.string(lease, "spec", "holderIdentity")).isEqualTo(IDENTITY);
        var readyz = controller.readyz();
        assertThat(readyz.statusCode()).isEqualTo(200);
        assertThat(readyz.body()).contains("mode reconcile").contains("leader").contains("config ok");

        controller.assertAlive();
        String log = controller.log();
        assertThat(log).as("controller log %s", controller.logFile())
                .doesNotContainIgnoringCase("forbidden")
                .doesNotContain(" 403")
                .doesNotContain("Cannot write")
                .doesNotContain("\"level\":\"ERROR\"");
    }

    /**
     * Polls until every sample shows its outcome: the Event it must get, or (for outcomes without one) the
     * controller's log line. A timeout is remembered, so the other tests fail at once instead of waiting again.
     */
    private static synchronized void awaitEveryOutcome() {
        if (outcomesMissing != null) {
            throw outcomesMissing;
        }
        try {
            Poll.until("every sample to show its outcome", PROCESSING, () -> {
                controller.assertAlive();
                List<String> missing = missingOutcomes();
                if (!missing.isEmpty()) {
                    throw new AssertionError("still missing: " + missing);
                }
                return true;
            });
        } catch (AssertionError e) {
            outcomesMissing = e;
            throw e;
        }
    }

    /** The samples whose expected outcome is not visible yet, each with what was seen instead. */
    private static List<String> missingOutcomes() {
        List<Map<String, Object>> events = Events.ours(kubectl, namespace);
        List<String> missing = new ArrayList<>();
        for (Expected e : expected) {
            List<Map<String, Object>> about = Events.about(events, e.kind(), e.name());
            boolean done = e.eventReason() != null
                    ? about.stream().anyMatch(ev -> e.eventReason().equals(Trees.string(ev, "reason")))
                    : e.decision().reason().equals(controller.loggedReason(namespace, e.kind(), e.name()));
            if (!done) {
                missing.add(e + " expected " + (e.eventReason() == null ? "a log line" : "a " + e.eventReason() + " Event")
                        + ", saw " + about.stream().map(Events::describe).toList()
                        + " and logged reason " + controller.loggedReason(namespace, e.kind(), e.name()));
            }
        }
        return missing;
    }
}
