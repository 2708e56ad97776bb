package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.testing.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue bullet 2, the other half: with a binding of the manifests removed, the controller (run as the Deployment
 * runs it, under its ServiceAccount) refuses to start with exit status 1 and a "forbidden" line naming every
 * missing verb and resource, instead of failing later on the first object.
 */
@RealKubeApiServer
class MissingRbacIT {
    private static final Duration EXIT = Duration.ofSeconds(90);
    /** What the controller does cluster-wide by default (README, "The controller"): the ClusterRole's part. */
    private static final List<String> WORKLOADS = List.of("deployments.apps", "statefulsets.apps", "jobs.batch", "daemonsets.apps");
    private static final List<String> WORKLOAD_VERBS = List.of("get", "list", "watch", "patch");

    private static KubeEnvironment env;

    @BeforeAll
    static void install(KubeEnvironment environment) {
        env = environment;
        env.applyReconcileManifests().assertOk();
    }

    @AfterEach
    void restoreTheManifests() {
        env.applyReconcileManifests().assertOk();
        Kubectl sa = env.kubectlAsServiceAccount();
        Poll.until("the ServiceAccount's permissions to be back", () ->
                sa.canI("patch", "deployments.apps", "--all-namespaces") && sa.canI("watch", "configmaps", "-n", "istio-system"));
    }

    @Test
    void withoutTheClusterRoleBindingItExitsNamingEveryMissingClusterPermission() throws Exception {
        env.kubectl().ok("delete", "clusterrolebinding", "sidecar-initializer");
        Poll.until("the authorizer to drop the binding",
                () -> !env.kubectlAsServiceAccount().canI("list", "deployments.apps", "--all-namespaces"));

        String forbidden = forbiddenLineOfAControllerStart("MissingRbacIT-no-clusterrolebinding");

        List<String> missing = new ArrayList<>();
        for (String resource : WORKLOADS) {
            for (String verb : WORKLOAD_VERBS) {
                missing.add(verb + " " + resource + " (cluster-wide)");
            }
        }
        missing.add("create events (cluster-wide)");
        assertThat(forbidden).contains(missing);
        // The Role (RoleBinding intact) still grants the ConfigMap and Lease verbs: not reported.
        assertThat(forbidden).doesNotContain("configmaps").doesNotContain("leases");
    }

    @Test
    void withoutTheRoleBindingItNamesTheConfigMapAndLeasePermissionsInItsNamespace() throws Exception {
        env.kubectl().ok("delete", "rolebinding", "sidecar-initializer", "-n", "istio-system");
        Poll.until("the authorizer to drop the binding",
                () -> !env.kubectlAsServiceAccount().canI("watch", "configmaps", "-n", "istio-system"));

        String forbidden = forbiddenLineOfAControllerStart("MissingRbacIT-no-rolebinding");

        assertThat(forbidden).contains(
                "get configmaps in namespace istio-system", "list configmaps in namespace istio-system",
                "watch configmaps in namespace istio-system",
                "get leases.coordination.k8s.io in namespace istio-system", "create leases.coordination.k8s.io in namespace istio-system",
                "update leases.coordination.k8s.io in namespace istio-system", "patch leases.coordination.k8s.io in namespace istio-system");
        assertThat(forbidden).doesNotContain("deployments").doesNotContain("events");
    }

    /** Starts the controller with the Deployment's args; it must exit 1 with one "controller: forbidden: ..." line. */
    private static String forbiddenLineOfAControllerStart(String label) throws InterruptedException {
        List<String> args = new ArrayList<>(new Manifests(env.projectDir()).controller().args());
        args.add("--identity=e2e-rbac");
        ControllerProcess controller = env.startController(label, args);
        try {
            int status = controller.awaitExit(EXIT);
            String log = controller.log();
            assertThat(status).as("exit status; log:\n%s", log).isEqualTo(1);
            assertThat(log).as("no stack trace for an operator to dig through").doesNotContain("\tat ").doesNotContain("Exception in thread");
            return log.lines().filter(l -> l.startsWith("controller: forbidden: this identity may not "))
                    .reduce((a, b) -> {
                        throw new AssertionError("more than one forbidden line:\n" + log);
                    })
                    .map(line -> {
                        assertThat(line).endsWith("; grant them with RBAC (see the controller's ClusterRole and Role in manifests/)");
                        return line;
                    })
                    .orElseThrow(() -> new AssertionError("no 'controller: forbidden: this identity may not ...' line in the log:\n" + log));
        } finally {
            controller.close();
        }
    }
}
