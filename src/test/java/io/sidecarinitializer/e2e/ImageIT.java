package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.BuildInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: the image this checkout builds, run as manifests/reconcile/deployment.yaml runs it ({@link ImageContainer}),
 * against the real API server. The controller, with the Deployment's args, injects a Deployment; the process is
 * UID 10001 and maps the image's class-data sharing archive; /readyz answers. The webhook from the same image, with
 * its Deployment's args and its own certificate, maps the same archive and serves /inject to the API server.
 */
@RealKubeApiServer
@BuiltImage
class ImageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration READY = Duration.ofSeconds(90);
    private static final Duration PROCESSING = Duration.ofSeconds(60);
    private static final String ARCHIVE = "/app/sidecar-initializer.jsa";
    private static final String UID = "10001";

    private static KubeEnvironment env;
    private static ContainerImage image;
    private static Manifests manifests;
    private static ImageContainer controller;

    @BeforeAll
    static void startTheControllerFromTheImage(KubeEnvironment environment, ContainerImage built) {
        env = environment;
        image = built;
        manifests = new Manifests(env.projectDir());
        System.out.printf("[e2e] image %s: %d MiB, podman build %d s, base images %d s%n", image.ref(),
                image.sizeBytes() >> 20, image.buildSeconds(), image.baseSeconds());
        // The controller's RBAC (the reconcile overlay) and the webhook's (the default install).
        env.applyReconcileManifests().assertOk();
        env.applyManifests().assertOk();
        List<String> args = new ArrayList<>(manifests.controller().args());
        args.add("--identity=e2e-image");
        // Its own Lease: another class's controller, stopped a moment ago, may still hold the default one.
        args.add("--lease-name=e2e-image");
        controller = ImageContainer.start(image, env, manifests.controller(), env.serviceAccountToken(), "ImageIT-controller", args)
                .awaitReady(READY);
    }

    @AfterAll
    static void stopTheContainer() {
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void theControllerInTheImageInjectsADeployment() throws Exception {
        String namespace = env.freshNamespace("image");
        SpecDecision.Policy policy = SpecDecision.Policy.of(manifests.injectConfig());
        Map<String, Object> sample = manifests.sampleWorkloads().stream()
                .filter(w -> "Deployment".equals(Trees.kind(w)) && SpecDecision.of(policy, namespace, w).inject())
                .findFirst().orElseThrow(() -> new AssertionError("no sample Deployment that the policy injects"));

        env.kubectl().okWithInput(JSON.writeValueAsString(sample), "apply", "-n", namespace, "-f", "-");

        Map<String, Object> live = Poll.value("the controller in the image to inject " + Trees.name(sample), PROCESSING, () -> {
            controller.assertRunning();
            Map<String, Object> now = env.kubectl().yaml("get", "deployment", Trees.name(sample), "-n", namespace);
            return Injection.status(now) != null ? now : null;
        });
        String version = manifests.injectParam("version") == null ? BuildInfo.version() : manifests.injectParam("version");
        Injection.assertInjected(sample, live, manifests.injectParam("proxyImage"), version);
        assertThat(controller.log()).as("container log").doesNotContain("\"level\":\"ERROR\"").doesNotContainIgnoringCase("forbidden");
    }

    @Test
    void theWebhookInTheImageServesInjectToTheApiServer() throws Exception {
        Kubectl kubectl = env.kubectl();
        int port = ControllerProcess.freePort();
        // No Secret yet: the webhook in the image makes its CA and certificate and writes the CA into the configuration.
        kubectl.ok("delete", "secret", LoopbackWebhookConfiguration.CERT_SECRET, "-n", "istio-system", "--ignore-not-found");
        LoopbackWebhookConfiguration.register(env, port);
        // The Deployment's args, on a free port (host network) and with loopback in the certificate it makes.
        List<String> args = new ArrayList<>(manifests.webhook().args().stream()
                .filter(a -> !a.startsWith("--port=") && !a.startsWith("--http-port=")).toList());
        args.addAll(List.of("--port=" + port, "--tls-san=127.0.0.1"));
        try (ImageContainer webhook = ImageContainer.start(image, env, manifests.webhook(), env.webhookToken(), "ImageIT-webhook", args)) {
            webhook.awaitReady(READY);
            assertThat(webhook.proc("maps")).as("memory mappings of the webhook's JVM").contains(ARCHIVE);
            LoopbackWebhookConfiguration.awaitCaBundle(kubectl, webhook::assertRunning);
            Pods pods = new Pods(kubectl);

            String namespace = LoopbackWebhookConfiguration.labeledNamespace(env, pods, "image-webhook");
            Map<String, Object> pod = pods.create(namespace, "from-the-image");

            Pods.assertInjected(pod, List.of("app"), manifests.injectParam("proxyImage"));
            assertThat(Trees.map(kubectl.json("get", "secret", LoopbackWebhookConfiguration.CERT_SECRET, "-n", "istio-system"), "data"))
                    .as("the certificate the webhook keeps for every replica").containsKeys("tls.crt", "tls.key");
            var readyz = webhook.readyz();
            assertThat(readyz.statusCode()).isEqualTo(200);
            assertThat(readyz.body()).startsWith("ready");
            // This webhook, not another, injected it (--log-format=json writes '/' as "\/").
            assertThat(webhook.log()).as("container log").contains("Injected pod " + namespace + "\\/from-the-image")
                    .doesNotContain("\"level\":\"ERROR\"").doesNotContainIgnoringCase("forbidden")
                    .doesNotContain("Read-only file system");
        } finally {
            LoopbackWebhookConfiguration.restore(env);
        }
    }

    @Test
    void readyzAnswersAsTheReadinessProbeAsks() throws Exception {
        var readyz = controller.readyz();

        assertThat(readyz.statusCode()).isEqualTo(200);
        assertThat(readyz.body()).contains("mode reconcile").contains("leader").contains("config ok");
    }

    @Test
    void theProcessRunsAsUid10001() {
        String status = controller.proc("status");

        assertThat(status.lines().filter(l -> l.startsWith("Uid:") || l.startsWith("Gid:")))
                .containsExactly("Uid:\t" + UID + "\t" + UID + "\t" + UID + "\t" + UID,
                        "Gid:\t" + UID + "\t" + UID + "\t" + UID + "\t" + UID);
        assertThat(controller.proc("cmdline")).as("the image's entrypoint is the process").startsWith("java\0");
    }

    @Test
    void theJvmMapsTheImagesClassDataSharingArchive() {
        assertThat(controller.proc("maps")).as("memory mappings of the controller's JVM").contains(ARCHIVE);

        // -Xshare:on makes the JVM fail instead of silently running without the archive.
        CommandResult strict = image.run(List.of("--rm", "--read-only", "-e", "JAVA_TOOL_OPTIONS=-Xshare:on"), List.of("--version"));
        assertThat(strict.exit()).as(strict.describe()).isZero();
        assertThat(strict.stdout()).contains("sidecar-initializer " + BuildInfo.version());
    }

    @Test
    void runsOnAReadOnlyRootFilesystemUnderTheDeploymentsMemoryLimit() {
        assertThat(controller.inspect("{{.HostConfig.ReadonlyRootfs}}")).isEqualTo("true");
        assertThat(Long.parseLong(controller.inspect("{{.HostConfig.Memory}}"))).isEqualTo((long) manifests.controller().memoryLimitMiB() << 20);
        // Nothing it needs to write goes outside /tmp: a write elsewhere would be logged as an error.
        assertThat(controller.log()).doesNotContain("Read-only file system").doesNotContain("\"level\":\"ERROR\"");
        String rss = controller.proc("status").lines().filter(l -> l.startsWith("VmRSS:")).findFirst().orElseThrow();
        System.out.println("[e2e] controller in the image, ready and idle: " + rss.replaceAll("\\s+", " "));
    }
}
