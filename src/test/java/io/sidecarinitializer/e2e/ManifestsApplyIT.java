package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.testing.Trees;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue bullet 1: {@code kubectl apply -k manifests/} works on a real API server, without the legacy overlay. */
@RealKubeApiServer
class ManifestsApplyIT {

    @Test
    void applyKustomizeOfManifestsSucceedsAndCreatesEveryObject(KubeEnvironment env) {
        CommandResult apply = env.applyManifests();

        assertThat(apply.exit()).as(apply.describe()).isZero();
        List<String> lines = apply.stdout().lines().toList();
        assertThat(lines).as(apply.describe()).allMatch(l -> l.matches("\\S+/\\S+ (created|unchanged|configured)"));

        // Every object kustomize renders is now on the server, as rendered.
        List<Map<String, Object>> rendered = Manifests.documents(env.kubectl().ok("kustomize", "manifests/"));
        List<Map<String, Object>> live = Trees.list(env.kubectl().json("get", "-k", "manifests/"), "items");
        assertThat(live).extracting(o -> Trees.kind(o) + "/" + Trees.name(o))
                .containsExactlyInAnyOrderElementsOf(rendered.stream().map(o -> Trees.kind(o) + "/" + Trees.name(o)).toList())
                .contains("Namespace/istio-system", "ServiceAccount/sidecar-initializer", "ClusterRole/sidecar-initializer",
                        "ClusterRoleBinding/sidecar-initializer", "Role/sidecar-initializer", "RoleBinding/sidecar-initializer",
                        "ConfigMap/istio-inject", "ConfigMap/istio", "Deployment/sidecar-initializer");
        Map<String, Object> deployment = live.stream().filter(o -> "Deployment".equals(Trees.kind(o))).findFirst().orElseThrow();
        assertThat(Trees.annotation(deployment, Trees.INJECT_ANNOTATION)).isEqualTo("false");
        assertThat(Trees.at(deployment, "metadata", "initializers")).isNull();
    }

    @Test
    void applyingTwiceChangesNothing(KubeEnvironment env) {
        env.applyManifests().assertOk();

        CommandResult again = env.applyManifests().assertOk();

        assertThat(again.stdout().lines().toList()).as(again.describe()).isNotEmpty().allMatch(l -> l.endsWith(" unchanged"));
    }

    @Test
    void theLegacyInitializerConfigurationStaysOutAndTheServerWouldRejectIt(KubeEnvironment env) {
        String rendered = env.kubectl().ok("kustomize", "manifests/");
        assertThat(Manifests.documents(rendered)).extracting(Trees::kind).doesNotContain("InitializerConfiguration");
        assertThat(rendered).doesNotContain("initializers:");

        // Why it must stay out: a 1.14+ server has no such kind (server-side dry run, so nothing is created).
        CommandResult legacy = env.kubectl().run("apply", "-k", "manifests/legacy/", "--dry-run=server", "--validate=false");
        assertThat(legacy.exit()).as(legacy.describe()).isNotZero();
        assertThat(legacy.errors()).contains("no matches for kind \"InitializerConfiguration\" in version \"admissionregistration.k8s.io/v1alpha1\"");
        CommandResult initializerConfigurations = env.kubectl().run("get", "initializerconfigurations");
        assertThat(initializerConfigurations.exit()).as(initializerConfigurations.describe()).isNotZero();
    }
}
