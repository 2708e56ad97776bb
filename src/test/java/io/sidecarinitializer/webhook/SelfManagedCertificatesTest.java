package io.sidecarinitializer.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The self-managed certificates against fabric8's CRUD mock API server: the Secret, the caBundle, renewal. */
class SelfManagedCertificatesTest {
    private static final String NS = "istio-system";
    private static final String SECRET = "sidecar-injector-certs";
    private static final String CONFIG = "sidecar-injector";
    private static final List<String> NAMES = CertificateBundle.serviceNames("sidecar-injector", NS, List.of("127.0.0.1"));

    /** The mock logs every request at INFO; held so the level sticks. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
            new KubernetesCrudDispatcher(), false);
    private final KubernetesClient client;

    SelfManagedCertificatesTest() {
        server.init();
        client = server.createClient(new JdkHttpClientFactory());
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    private SelfManagedCertificates replica(Clock clock) {
        return new SelfManagedCertificates(client, NS, SECRET, CONFIG, NAMES, clock);
    }

    private SelfManagedCertificates replica() {
        return replica(Clock.systemUTC());
    }

    private void createWebhookConfig() {
        MutatingWebhookConfiguration config = new MutatingWebhookConfigurationBuilder()
                .withNewMetadata().withName(CONFIG).endMetadata()
                .addNewWebhook().withName("sidecar-injector.istio.io").withNewClientConfig().withUrl("https://127.0.0.1:9443/inject")
                .endClientConfig().endWebhook()
                .addNewWebhook().withName("second.istio.io").withNewClientConfig().withCaBundle("b2xk").withNewService()
                .withName("sidecar-injector").withNamespace(NS).endService().endClientConfig().endWebhook()
                .build();
        client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(config).create();
    }

    private List<String> caBundles() {
        return client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(CONFIG).get().getWebhooks().stream()
                .map(w -> w.getClientConfig().getCaBundle()).toList();
    }

    private Secret secret() {
        return client.secrets().inNamespace(NS).withName(SECRET).get();
    }

    private static String decoded(Secret secret, String key) {
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.US_ASCII);
    }

    @Test
    void makesTheSecretAndWritesTheCaIntoEveryWebhook() {
        createWebhookConfig();

        TlsCredentials serving;
        try (SelfManagedCertificates certs = replica()) {
            serving = certs.check();
            assertThat(certs.caBundleInPlace()).isTrue();
        }

        Secret secret = secret();
        assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(secret.getData()).containsOnlyKeys("tls.crt", "tls.key", "ca.crt", "ca.key");
        assertThat(decoded(secret, "tls.crt")).isEqualTo(serving.certificateChain());
        String caBundle = Base64.getEncoder().encodeToString(decoded(secret, "ca.crt").getBytes(StandardCharsets.US_ASCII));
        assertThat(caBundles()).containsExactly(caBundle, caBundle);
        assertThat(client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(CONFIG).get().getWebhooks().get(1)
                .getClientConfig().getService().getName()).as("the rest of clientConfig stays").isEqualTo("sidecar-injector");
    }

    @Test
    void everyReplicaServesTheCertificateInTheSecret() {
        createWebhookConfig();
        KubernetesClient other = server.createClient(new JdkHttpClientFactory());
        try (SelfManagedCertificates first = replica();
             SelfManagedCertificates second = new SelfManagedCertificates(other, NS, SECRET, CONFIG, NAMES, Clock.systemUTC())) {
            TlsCredentials a = first.check();
            TlsCredentials b = second.check();

            assertThat(b.leaf()).isEqualTo(a.leaf());
        } finally {
            other.close();
        }
    }

    @Test
    void aCreateThatLosesTheRaceUsesTheWinnersSecret() {
        CertificateSecret secret = new CertificateSecret(client, NS, SECRET);
        CertificateBundle winner = CertificateBundle.create(NAMES, Instant.now());
        CertificateBundle loser = CertificateBundle.create(NAMES, Instant.now());

        secret.create(winner);
        CertificateSecret.Stored stored = secret.create(loser);

        assertThat(stored.bundle().serving().leaf()).isEqualTo(winner.serving().leaf());
        assertThat(decoded(secret(), "tls.crt")).isEqualTo(winner.serving().certificateChain());
    }

    @Test
    void aReplaceAtAStaleVersionKeepsWhatTheOtherReplicaWrote() {
        CertificateSecret secret = new CertificateSecret(client, NS, SECRET);
        CertificateSecret.Stored first = secret.create(CertificateBundle.create(NAMES, Instant.now()));
        CertificateBundle theirs = CertificateBundle.create(NAMES, Instant.now());
        secret.replace(first.resourceVersion(), theirs);

        CertificateSecret.Stored stored = secret.replace(first.resourceVersion(), CertificateBundle.create(NAMES, Instant.now()));

        assertThat(stored.bundle().serving().leaf()).isEqualTo(theirs.serving().leaf());
        assertThat(decoded(secret(), "tls.crt")).isEqualTo(theirs.serving().certificateChain());
    }

    @Test
    void renewsTheServingCertificateWhenItIsDueAndKeepsTheCa() {
        createWebhookConfig();
        TlsCredentials before;
        try (SelfManagedCertificates now = replica()) {
            before = now.check();
        }
        String caBefore = decoded(secret(), "ca.crt");
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(300)), ZoneOffset.UTC);

        TlsCredentials after;
        try (SelfManagedCertificates renewing = replica(later)) {
            after = renewing.check();
        }

        assertThat(after.leaf().getSerialNumber()).isNotEqualTo(before.leaf().getSerialNumber());
        assertThat(decoded(secret(), "tls.crt")).isEqualTo(after.certificateChain());
        assertThat(decoded(secret(), "ca.crt")).isEqualTo(caBefore);
    }

    @Test
    void aSecretThatCannotBeReadIsReplaced() {
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName(SECRET).withNamespace(NS).endMetadata()
                .withData(Map.of("tls.crt", Base64.getEncoder().encodeToString("junk".getBytes(StandardCharsets.US_ASCII)))).build()).create();

        try (SelfManagedCertificates certs = replica()) {
            TlsCredentials serving = certs.check();

            assertThat(decoded(secret(), "tls.crt")).isEqualTo(serving.certificateChain());
        }
    }

    @Test
    void theCaBundleIsWrittenOnceTheWebhookConfigurationExists() throws Exception {
        try (SelfManagedCertificates certs = replica()) {
            certs.check();
            assertThat(certs.caBundleInPlace()).isFalse();

            createWebhookConfig();
            certs.start(credentials -> { });
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!certs.caBundleInPlace() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }

            assertThat(certs.caBundleInPlace()).isTrue();
            assertThat(caBundles()).allSatisfy(b -> assertThat(b).isNotEqualTo("b2xk").isNotNull());
        }
    }

    @Test
    void aCaBundleResetByAnEditIsWrittenAgain() {
        createWebhookConfig();
        try (SelfManagedCertificates certs = replica()) {
            certs.check();
            String written = caBundles().get(0);
            client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(CONFIG)
                    .edit(c -> { c.getWebhooks().get(0).getClientConfig().setCaBundle(null); return c; });

            certs.check();

            assertThat(caBundles()).containsExactly(written, written);
        }
    }
}
