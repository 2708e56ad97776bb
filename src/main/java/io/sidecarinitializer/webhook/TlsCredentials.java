package io.sidecarinitializer.webhook;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A serving certificate chain and its private key, as PEM text, checked before the server uses them: the chain
 * parses, the key parses and belongs to the first certificate. A half-rotated pair (a new certificate beside the
 * old key) fails the check, so the server keeps the pair it has.
 *
 * @param certificateChain PEM, the serving certificate first
 * @param privateKey       PEM: PKCS#8, PKCS#1 RSA or SEC1 EC
 * @param leaf             the serving certificate, parsed
 */
public record TlsCredentials(String certificateChain, String privateKey, X509Certificate leaf) {

    /** Parses and checks a pair; {@code certSource}/{@code keySource} name where each came from in messages. */
    public static TlsCredentials of(String certificateChain, String privateKey, String certSource, String keySource) {
        List<X509Certificate> chain = certificates(certificateChain, certSource);
        PrivateKey key = privateKey(privateKey, keySource);
        X509Certificate leaf = chain.get(0);
        if (!belongTogether(key, leaf)) {
            throw new IllegalArgumentException(keySource + ": the private key does not belong to the first certificate of "
                    + certSource + " (" + leaf.getSubjectX500Principal().getName() + ")");
        }
        return new TlsCredentials(certificateChain, privateKey, leaf);
    }

    public Instant notBefore() {
        return leaf.getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return leaf.getNotAfter().toInstant();
    }

    /** The whole chain, parsed. */
    public List<X509Certificate> chain() {
        return certificates(certificateChain, "certificate chain");
    }

    /** The private key, parsed. */
    public PrivateKey key() {
        return privateKey(privateKey, "private key");
    }

    static List<X509Certificate> certificates(String pem, String source) {
        List<X509Certificate> chain = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof X509CertificateHolder holder) {
                    chain.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException(source + ": not a PEM certificate: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException(source + ": no PEM certificate (-----BEGIN CERTIFICATE-----) found");
        }
        return chain;
    }

    static PrivateKey privateKey(String pem, String source) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof PEMKeyPair pair) {
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not a PEM private key: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException(source + ": no unencrypted PEM private key (PRIVATE KEY, RSA PRIVATE KEY or "
                + "EC PRIVATE KEY) found");
    }

    /** Signs a probe with the key and verifies it with the certificate: works for RSA, EC and EdDSA alike. */
    private static boolean belongTogether(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448
        };
        byte[] probe = "sidecar-initializer".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
