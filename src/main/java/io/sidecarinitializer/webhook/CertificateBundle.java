package io.sidecarinitializer.webhook;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the self-managed mode keeps in its Secret: the CA (certificate and key), the CA bundle the API server
 * trusts (the current CA, plus the previous one while it is still valid, so a CA rotation never breaks calls),
 * and the serving certificate. Renewal is decided here: at two thirds of a certificate's lifetime, as
 * cert-manager does by default, or at once when the serving certificate does not cover the names asked for.
 *
 * @param ca       the CA that signs serving certificates
 * @param caBundle PEM certificates the API server should trust, the current CA first
 * @param serving  the serving certificate and key
 */
public record CertificateBundle(CertificateAuthority ca, String caBundle, TlsCredentials serving) {
    public static final Duration CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration SERVING_VALIDITY = Duration.ofDays(365);
    public static final String TLS_CRT = "tls.crt";
    public static final String TLS_KEY = "tls.key";
    public static final String CA_CRT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    private static final String CA_NAME = "sidecar-initializer-webhook-ca";

    public static CertificateBundle create(List<String> names, Instant now) {
        CertificateAuthority ca = CertificateAuthority.create(CA_NAME, now, CA_VALIDITY);
        return new CertificateBundle(ca, ca.certificatePem(), ca.issue(names, now, SERVING_VALIDITY));
    }

    /** Why this bundle must be renewed now; null when it need not. */
    public String renewalReason(List<String> names, Instant now) {
        if (dueAt(ca.certificate(), now)) {
            return "the CA is two thirds through its lifetime (until " + ca.certificate().getNotAfter().toInstant() + ")";
        }
        if (dueAt(serving.leaf(), now)) {
            return "the serving certificate is two thirds through its lifetime (until " + serving.notAfter() + ")";
        }
        Set<String> missing = new HashSet<>(canonical(names));
        missing.removeAll(subjectAlternativeNames(serving.leaf()));
        if (!missing.isEmpty()) {
            return "the serving certificate does not cover " + missing.stream().sorted().toList();
        }
        return null;
    }

    /**
     * The next bundle: a new serving certificate, from a new CA too when the CA is due. The old CA stays in the
     * bundle while it is valid, since the API server may still hold the old bundle for a while.
     */
    public CertificateBundle renewed(List<String> names, Instant now) {
        if (!dueAt(ca.certificate(), now)) {
            return new CertificateBundle(ca, caBundle, ca.issue(names, now, SERVING_VALIDITY));
        }
        CertificateAuthority next = CertificateAuthority.create(CA_NAME, now, CA_VALIDITY);
        String bundle = next.certificatePem() + (ca.certificate().getNotAfter().toInstant().isAfter(now) ? ca.certificatePem() : "");
        return new CertificateBundle(next, bundle, next.issue(names, now, SERVING_VALIDITY));
    }

    /** At two thirds of the time between notBefore and notAfter. */
    static boolean dueAt(X509Certificate cert, Instant now) {
        Instant from = cert.getNotBefore().toInstant();
        Instant to = cert.getNotAfter().toInstant();
        Instant due = from.plus(Duration.between(from, to).multipliedBy(2).dividedBy(3));
        return !now.isBefore(due);
    }

    /** The Secret's {@code data}: base64 values under the usual kubernetes.io/tls keys plus the CA's. */
    public Map<String, String> secretData() {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(TLS_CRT, base64(serving.certificateChain()));
        data.put(TLS_KEY, base64(serving.privateKey()));
        data.put(CA_CRT, base64(caBundle));
        data.put(CA_KEY, base64(ca.keyPem()));
        return data;
    }

    /** Reads a bundle back from a Secret's {@code data}; fails naming the Secret and key. */
    public static CertificateBundle fromSecretData(Map<String, String> data, String source) {
        String caBundle = decoded(data, CA_CRT, source);
        CertificateAuthority ca = CertificateAuthority.load(caBundle, decoded(data, CA_KEY, source), source);
        TlsCredentials serving = TlsCredentials.of(decoded(data, TLS_CRT, source), decoded(data, TLS_KEY, source),
                source + " " + TLS_CRT, source + " " + TLS_KEY);
        return new CertificateBundle(ca, caBundle, serving);
    }

    private static String decoded(Map<String, String> data, String key, String source) {
        String value = data == null ? null : data.get(key);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(source + ": data." + key + " is missing");
        }
        try {
            return new String(Base64.getDecoder().decode(value), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": data." + key + " is not base64", e);
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }

    static Set<String> subjectAlternativeNames(X509Certificate cert) {
        Set<String> names = new HashSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    names.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
                }
            }
        } catch (CertificateParsingException e) {
            return names;
        }
        return canonical(names);
    }

    /** DNS names in lower case, IP addresses as Java prints them, so the two sides compare. */
    private static Set<String> canonical(Collection<String> names) {
        Set<String> out = new HashSet<>();
        for (String name : names) {
            try {
                out.add(CertificateAuthority.isIpAddress(name) ? InetAddress.getByName(name).getHostAddress() : name.toLowerCase(Locale.ROOT));
            } catch (UnknownHostException e) {
                out.add(name);
            }
        }
        return out;
    }

    /** The names a Service {@code service} in {@code namespace} is called by, then the extra ones. */
    public static List<String> serviceNames(String service, String namespace, List<String> extra) {
        List<String> names = new ArrayList<>(List.of(service, service + "." + namespace, service + "." + namespace + ".svc",
                service + "." + namespace + ".svc.cluster.local"));
        for (String e : extra) {
            if (!names.contains(e)) {
                names.add(e);
            }
        }
        return names;
    }
}
