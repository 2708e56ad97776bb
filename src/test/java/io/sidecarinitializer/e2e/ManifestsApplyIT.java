package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.testing.Trees;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's installs work on a real API server: the webhook (manifests/, in its 1.16-1.20 variant here), the
 * opt-in reconcile overlay next to it, and never the legacy overlay.
 */
@RealKubeApiServer
class ManifestsApplyIT {

    @Test
    void applyKustomizeOfTheWebhookInstallSucceedsAndCreatesEveryObject(KubeEnvironment env) {
        CommandResult apply = env.applyManifests();

        assertThat(apply.exit()).as(apply.describe()).isZero();
        List<String> lines = apply.stdout().lines().toList();
        assertThat(lines).as(apply.describe()).allMatch(l -> l.matches("\\S+/\\S+ (created|unchanged|configured)"));

        // Every object kustomize renders is now on the server, as rendered.
        String dir = env.webhookManifests();
        List<Map<String, Object>> rendered = Manifests.documents(env.kubectl().ok("kustomize", dir));
        List<Map<String, Object>> live = Trees.list(env.kubectl().json("get", "-k", dir), "items");
        assertThat(live).extracting(o -> Trees.kind(o) + "/" + Trees.name(o))
                .containsExactlyInAnyOrderElementsOf(rendered.stream().map(o -> Trees.kind(o) + "/" + Trees.name(o)).toList())
                .contains("Namespace/istio-system", "ServiceAccount/sidecar-injector", "ClusterRole/sidecar-injector",
                        "ClusterRoleBinding/sidecar-injector", "Role/sidecar-injector", "RoleBinding/sidecar-injector",
                        "ConfigMap/istio-inject", "ConfigMap/istio", "Service/sidecar-injector", "Deployment/sidecar-injector",
                        "PodDisruptionBudget/sidecar-injector", "MutatingWebhookConfiguration/sidecar-injector")
                .doesNotContain("Deployment/sidecar-initializer");
        Map<String, Object> configuration = live.stream().filter(o -> "MutatingWebhookConfiguration".equals(Trees.kind(o)))
                .findFirst().orElseThrow();
        Map<String, Object> webhook = Trees.list(configuration, "webhooks").get(0);
        assertThat(Trees.string(webhook, "failurePolicy")).isEqualTo("Ignore");
        assertThat(Trees.string(webhook, "clientConfig", "service", "path")).isEqualTo("/inject");
    }

    @Test
    void theVariantForOlderServersDiffersFromManifestsOnlyInThePodDisruptionBudgetVersion(KubeEnvironment env) {
        String current = env.kubectl().ok("kustomize", "manifests/");
        String older = env.kubectl().ok("kustomize", "manifests/k8s-1.16-1.20/");

        assertThat(older.replace("apiVersion: policy/v1beta1\nkind: PodDisruptionBudget", "apiVersion: policy/v1\nkind: PodDisruptionBudget"))
                .isEqualTo(current);
        if (env.webhookManifests().equals("manifests/k8s-1.16-1.20/")) {
            // Why the variant exists: this server has no policy/v1 (server-side dry run, so nothing is created).
            CommandResult latest = env.kubectl().run("apply", "-k", "manifests/", "--dry-run=server");
            assertThat(latest.exit()).as(latest.describe()).isNotZero();
            assertThat(latest.errors()).contains("no matches for kind \"PodDisruptionBudget\" in version \"policy/v1\"");
        }
    }

    @Test
    void applyingTwiceChangesNothing(KubeEnvironment env) {
        env.applyManifests().assertOk();

        CommandResult again = env.applyManifests().assertOk();

        assertThat(again.stdout().lines().toList()).as(again.describe()).isNotEmpty().allMatch(l -> l.endsWith(" unchanged"));
    }

    @Test
    void theReconcileOverlayAddsTheControllerNextToTheWebhook(KubeEnvironment env) {
        env.applyManifests().assertOk();

        CommandResult reconcile = env.applyReconcileManifests().assertOk();

        // The shared objects are the same ones; only the controller's are added.
        assertThat(reconcile.stdout().lines().toList()).as(reconcile.describe())
                .contains("namespace/istio-system unchanged", "configmap/istio-inject unchanged", "configmap/istio unchanged")
                .anyMatch(l -> l.matches("deployment.apps/sidecar-initializer (created|unchanged|configured)"))
                .noneMatch(l -> l.contains("sidecar-injector"));
        Map<String, Object> controller = env.kubectl().json("get", "deployment", "sidecar-initializer", "-n", "istio-system");
        assertThat(Trees.annotation(controller, Trees.INJECT_ANNOTATION)).isEqualTo("false");
        assertThat(Trees.at(controller, "metadata", "initializers")).isNull();
        env.kubectl().ok("get", "mutatingwebhookconfiguration", "sidecar-injector"); // the webhook is still installed
    }

    @Test
    void theLegacyInitializerConfigurationStaysOutAndTheServerWouldRejectIt(KubeEnvironment env) {
        for (String dir : List.of("manifests/", "manifests/k8s-1.16-1.20/", "manifests/reconcile/")) {
            String rendered = env.kubectl().ok("kustomize", dir);
            assertThat(Manifests.documents(rendered)).as(dir).extracting(Trees::kind).doesNotContain("InitializerConfiguration");
            assertThat(rendered).as(dir).doesNotContain("initializers:");
        }

        // Why it must stay out: a 1.14+ server has no such kind (server-side dry run, so nothing is created).
        CommandResult legacy = env.kubectl().run("apply", "-k", "manifests/legacy/", "--dry-run=server", "--validate=false");
        assertThat(legacy.exit()).as(legacy.describe()).isNotZero();
        assertThat(legacy.errors()).contains("no matches for kind \"InitializerConfiguration\" in version \"admissionregistration.k8s.io/v1alpha1\"");
        CommandResult initializerConfigurations = env.kubectl().run("get", "initializerconfigurations");
        assertThat(initializerConfigurations.exit()).as(initializerConfigurations.describe()).isNotZero();
    }
}
