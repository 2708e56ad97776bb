package io.sidecarinitializer.webhook;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A CA and serving certificates for 127.0.0.1/localhost, and TLS clients that trust only that CA. */
public final class TestCertificates {
    final CertificateAuthority ca = CertificateAuthority.create("test-ca", Instant.now(), Duration.ofDays(30));

    TlsCredentials serving() {
        return ca.issue(List.of("localhost", "127.0.0.1"), Instant.now(), Duration.ofDays(1));
    }

    /** A client context that trusts our CA only. */
    SSLContext clientContext() {
        return trusting(ca.certificate());
    }

    /** A client context that trusts {@code ca} only. */
    public static SSLContext trusting(java.security.cert.X509Certificate ca) {
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
