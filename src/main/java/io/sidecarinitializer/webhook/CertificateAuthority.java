package io.sidecarinitializer.webhook;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The webhook's own CA, when no certificate files are given: a self-signed ECDSA P-256 CA that issues the
 * serving certificate for the Service's DNS names. Built with BouncyCastle's certificate builders.
 */
public final class CertificateAuthority {
    /** Certificates start this much in the past, for API servers whose clock is a little behind ours. */
    static final Duration BACKDATE = Duration.ofHours(1);
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final String certificatePem;
    private final String keyPem;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key, String certificatePem, String keyPem) {
        this.certificate = certificate;
        this.key = key;
        this.certificatePem = certificatePem;
        this.keyPem = keyPem;
    }

    /** A new CA named {@code commonName}, valid from now for {@code validity}. */
    public static CertificateAuthority create(String commonName, Instant now, Duration validity) {
        KeyPair pair = newKeyPair();
        X500Principal subject = new X500Principal("CN=" + commonName);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(validity)), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(builder, pair.getPrivate());
            return new CertificateAuthority(cert, pair.getPrivate(), pem(cert), pkcs8(pair.getPrivate()));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot make a CA certificate: " + e.getMessage(), e);
        }
    }

    /** A CA kept earlier: its certificate (the first one in {@code certificatePem}) and its key. */
    public static CertificateAuthority load(String certificatePem, String keyPem, String source) {
        TlsCredentials pair = TlsCredentials.of(certificatePem, keyPem, source + " ca.crt", source + " ca.key");
        if (pair.leaf().getBasicConstraints() < 0) {
            throw new IllegalArgumentException(source + " ca.crt: the first certificate is not a CA");
        }
        return new CertificateAuthority(pair.leaf(), TlsCredentials.privateKey(keyPem, source + " ca.key"),
                pem(pair.leaf()), keyPem);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** This CA's certificate as PEM. */
    public String certificatePem() {
        return certificatePem;
    }

    public String keyPem() {
        return keyPem;
    }

    /**
     * A serving certificate for {@code names}: DNS names, or IP addresses (IPv4 dotted, or IPv6 with a colon),
     * the first one as the common name; valid from now for {@code validity}, but never past this CA.
     */
    public TlsCredentials issue(List<String> names, Instant now, Duration validity) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a serving certificate needs at least one name");
        }
        KeyPair pair = newKeyPair();
        Instant notAfter = now.plus(validity);
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            notAfter = certificate.getNotAfter().toInstant();
        }
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(notAfter), new X500Principal("CN=" + names.get(0)), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, subjectAlternativeNames(names))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            X509Certificate cert = sign(builder, key);
            String keyPem = pkcs8(pair.getPrivate());
            return TlsCredentials.of(pem(cert), keyPem, "issued certificate", "issued key");
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a serving certificate: " + e.getMessage(), e);
        }
    }

    private static GeneralNames subjectAlternativeNames(List<String> names) {
        List<GeneralName> sans = new ArrayList<>();
        for (String name : names) {
            if (isIpAddress(name)) {
                try {
                    sans.add(new GeneralName(GeneralName.iPAddress, InetAddress.getByName(name).getHostAddress()));
                } catch (IOException e) {
                    throw new IllegalArgumentException("'" + name + "' is not an IP address", e);
                }
            } else {
                sans.add(new GeneralName(GeneralName.dNSName, name));
            }
        }
        return new GeneralNames(sans.toArray(GeneralName[]::new));
    }

    /** IPv4 dotted or IPv6 (it has a colon, which no DNS name has). */
    static boolean isIpAddress(String name) {
        return IPV4.matcher(name).matches() || name.contains(":");
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot make EC P-256 keys: " + e.getMessage(), e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write PEM: " + e.getMessage(), e);
        }
        return out.toString();
    }

    private static String pkcs8(PrivateKey key) {
        try {
            return pem(new JcaPKCS8Generator(key, null));
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException("cannot write a PKCS#8 key: " + e.getMessage(), e);
        }
    }
}
