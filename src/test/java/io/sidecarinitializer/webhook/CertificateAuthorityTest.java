package io.sidecarinitializer.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The self-made CA and serving certificates, checked with the JDK's own X.509 and PKIX code. */
class CertificateAuthorityTest {
    private static final Instant NOW = Instant.now();
    private final CertificateAuthority ca = CertificateAuthority.create("test-ca", NOW, Duration.ofDays(3650));

    @Test
    void theServingCertificateCoversTheServiceNamesAndExtraSans() throws Exception {
        List<String> names = CertificateBundle.serviceNames("sidecar-injector", "istio-system", List.of("127.0.0.1", "::1", "webhook.local"));

        X509Certificate cert = ca.issue(names, NOW, Duration.ofDays(365)).leaf();

        assertThat(cert.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
                List.of(2, "sidecar-injector"), List.of(2, "sidecar-injector.istio-system"),
                List.of(2, "sidecar-injector.istio-system.svc"), List.of(2, "sidecar-injector.istio-system.svc.cluster.local"),
                List.of(7, "127.0.0.1"), List.of(7, "0:0:0:0:0:0:0:1"), List.of(2, "webhook.local"));
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=sidecar-injector");
    }

    @Test
    void theCaSignsTheServingCertificateAndPkixAcceptsIt() throws Exception {
        X509Certificate serving = ca.issue(List.of("svc.ns.svc"), NOW, Duration.ofDays(365)).leaf();

        serving.verify(ca.certificate().getPublicKey());
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca.certificate(), null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(serving)), params);

        assertThat(serving.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
        assertThat(serving.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        assertThat(serving.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(ca.certificate().getBasicConstraints()).as("a CA").isGreaterThanOrEqualTo(0);
        ca.certificate().verify(ca.certificate().getPublicKey());
    }

    @Test
    void aServingCertificateNeverOutlivesItsCa() {
        CertificateAuthority shortLived = CertificateAuthority.create("short", NOW, Duration.ofDays(10));

        TlsCredentials serving = shortLived.issue(List.of("svc"), NOW, Duration.ofDays(365));

        assertThat(serving.notAfter()).isEqualTo(shortLived.certificate().getNotAfter().toInstant());
        assertThat(serving.notBefore()).isEqualTo(NOW.minus(CertificateAuthority.BACKDATE).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    @Test
    void aCaKeptInPemLoadsBackAndIssuesAgain() throws Exception {
        CertificateAuthority loaded = CertificateAuthority.load(ca.certificatePem(), ca.keyPem(), "Secret ns/certs");

        X509Certificate serving = loaded.issue(List.of("svc"), NOW, Duration.ofDays(1)).leaf();

        serving.verify(ca.certificate().getPublicKey());
        assertThat(ca.keyPem()).startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @Test
    void aServingCertificateIsNotACa() {
        TlsCredentials serving = ca.issue(List.of("svc"), NOW, Duration.ofDays(1));

        assertThatThrownBy(() -> CertificateAuthority.load(serving.certificateChain(), serving.privateKey(), "Secret ns/certs"))
                .hasMessage("Secret ns/certs ca.crt: the first certificate is not a CA");
    }

    @Test
    void credentialsWhoseKeyBelongsToAnotherCertificateAreRefusedNamingTheFiles() {
        TlsCredentials one = ca.issue(List.of("a"), NOW, Duration.ofDays(1));
        TlsCredentials two = ca.issue(List.of("b"), NOW, Duration.ofDays(1));

        assertThatThrownBy(() -> TlsCredentials.of(one.certificateChain(), two.privateKey(), "cert.pem", "key.pem"))
                .hasMessageStartingWith("key.pem: the private key does not belong to the first certificate of cert.pem (CN=a)");
    }

    @Test
    void textThatIsNotPemIsRefusedNamingTheFile() {
        TlsCredentials one = ca.issue(List.of("a"), NOW, Duration.ofDays(1));

        assertThatThrownBy(() -> TlsCredentials.of("hello", one.privateKey(), "cert.pem", "key.pem"))
                .hasMessageStartingWith("cert.pem: no PEM certificate");
        assertThatThrownBy(() -> TlsCredentials.of(one.certificateChain(), one.certificateChain(), "cert.pem", "key.pem"))
                .hasMessageStartingWith("key.pem: no unencrypted PEM private key");
    }

    @Test
    void rsaKeysInPkcs1PemAreAcceptedToo() throws Exception {
        // cert-manager writes RSA keys as "RSA PRIVATE KEY" by default.
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        var pair = rsa.generateKeyPair();
        var builder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(new javax.security.auth.x500.X500Principal("CN=rsa"),
                java.math.BigInteger.TEN, java.util.Date.from(NOW), java.util.Date.from(NOW.plusSeconds(3600)),
                new javax.security.auth.x500.X500Principal("CN=rsa"), pair.getPublic());
        X509Certificate cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
                builder.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
        String keyPem = CertificateAuthority.pem(pair.getPrivate());

        TlsCredentials credentials = TlsCredentials.of(CertificateAuthority.pem(cert), keyPem, "cert.pem", "key.pem");

        assertThat(keyPem).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(credentials.leaf()).isEqualTo(cert);
    }
}
