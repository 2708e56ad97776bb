package io.sidecarinitializer.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When the self-managed certificates are renewed, and what a renewal keeps. */
class CertificateBundleTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final List<String> NAMES = CertificateBundle.serviceNames("sidecar-injector", "istio-system", List.of());
    private final CertificateBundle bundle = CertificateBundle.create(NAMES, NOW);

    /** Two thirds of the serving certificate's lifetime, counted from its back-dated notBefore. */
    private static Instant servingDue() {
        Duration life = CertificateBundle.SERVING_VALIDITY.plus(CertificateAuthority.BACKDATE);
        return NOW.minus(CertificateAuthority.BACKDATE).plus(life.multipliedBy(2).dividedBy(3));
    }

    @Test
    void aFreshBundleNeedsNoRenewal() {
        assertThat(bundle.renewalReason(NAMES, NOW)).isNull();
        assertThat(bundle.renewalReason(NAMES, servingDue().minusSeconds(1))).isNull();
    }

    @Test
    void theServingCertificateIsRenewedAtTwoThirdsOfItsLifetimeWithTheSameCa() throws Exception {
        String why = bundle.renewalReason(NAMES, servingDue());

        CertificateBundle next = bundle.renewed(NAMES, servingDue());

        assertThat(why).startsWith("the serving certificate is two thirds through its lifetime");
        assertThat(next.ca().certificate()).isEqualTo(bundle.ca().certificate());
        assertThat(next.caBundle()).isEqualTo(bundle.caBundle());
        assertThat(next.serving().leaf().getSerialNumber()).isNotEqualTo(bundle.serving().leaf().getSerialNumber());
        assertThat(next.renewalReason(NAMES, servingDue())).isNull();
        next.serving().leaf().verify(bundle.ca().certificate().getPublicKey());
    }

    @Test
    void aNameTheCertificateDoesNotCoverMeansRenewalNow() {
        List<String> more = CertificateBundle.serviceNames("sidecar-injector", "istio-system", List.of("127.0.0.1"));

        assertThat(bundle.renewalReason(more, NOW)).isEqualTo("the serving certificate does not cover [127.0.0.1]");
        assertThat(bundle.renewed(more, NOW).renewalReason(more, NOW)).isNull();
    }

    @Test
    void aCaTwoThirdsThroughItsLifetimeIsReplacedAndTheOldOneStaysTrustedWhileValid() throws Exception {
        Instant late = NOW.plus(CertificateBundle.CA_VALIDITY.multipliedBy(2).dividedBy(3)).plus(Duration.ofDays(1));

        CertificateBundle next = bundle.renewed(NAMES, late);

        assertThat(bundle.renewalReason(NAMES, late)).startsWith("the CA is two thirds through its lifetime");
        assertThat(next.ca().certificate()).isNotEqualTo(bundle.ca().certificate());
        assertThat(next.caBundle()).isEqualTo(next.ca().certificatePem() + bundle.ca().certificatePem());
        assertThat(TlsCredentials.certificates(next.caBundle(), "bundle")).hasSize(2);
        next.serving().leaf().verify(next.ca().certificate().getPublicKey());
    }

    @Test
    void anExpiredOldCaIsDroppedFromTheBundle() {
        Instant afterCa = NOW.plus(CertificateBundle.CA_VALIDITY).plus(Duration.ofDays(1));

        assertThat(bundle.renewed(NAMES, afterCa).caBundle()).doesNotContain(bundle.ca().certificatePem());
    }

    @Test
    void theSecretDataReadsBackAsTheSameBundle() {
        CertificateBundle back = CertificateBundle.fromSecretData(bundle.secretData(), "Secret ns/certs");

        assertThat(bundle.secretData()).containsOnlyKeys("tls.crt", "tls.key", "ca.crt", "ca.key");
        assertThat(back.serving().leaf()).isEqualTo(bundle.serving().leaf());
        assertThat(back.ca().certificate()).isEqualTo(bundle.ca().certificate());
        assertThat(back.caBundle()).isEqualTo(bundle.caBundle());
    }

    @Test
    void secretDataWithAKeyMissingNamesIt() {
        var data = new java.util.HashMap<>(bundle.secretData());
        data.remove("ca.key");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CertificateBundle.fromSecretData(data, "Secret ns/certs"))
                .hasMessage("Secret ns/certs: data.ca.key is missing");
    }
}
