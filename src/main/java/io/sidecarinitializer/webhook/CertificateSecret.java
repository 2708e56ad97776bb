package io.sidecarinitializer.webhook;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;

/**
 * The Secret every replica shares its certificates through. Created only if absent, so replicas starting
 * together converge on whichever create landed first; replaced only with the resourceVersion it was read at,
 * so two replicas renewing at once keep one result.
 */
final class CertificateSecret {
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String MANAGER = "sidecar-initializer";

    private final KubernetesClient client;
    private final String namespace;
    private final String name;

    CertificateSecret(KubernetesClient client, String namespace, String name) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    /** A bundle as read, with the resourceVersion to replace it at; {@code bundle} is null when it does not parse. */
    record Stored(CertificateBundle bundle, String resourceVersion, String problem) {}

    String describe() {
        return "Secret " + namespace + "/" + name;
    }

    /** The Secret's bundle; null when there is no Secret. */
    Stored read() {
        Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
        if (secret == null) {
            return null;
        }
        String rv = secret.getMetadata().getResourceVersion();
        try {
            return new Stored(CertificateBundle.fromSecretData(secret.getData(), describe()), rv, null);
        } catch (IllegalArgumentException e) {
            return new Stored(null, rv, e.getMessage());
        }
    }

    /** Creates the Secret with {@code bundle}; when another replica created it first, theirs is returned. */
    Stored create(CertificateBundle bundle) {
        try {
            Secret created = client.secrets().inNamespace(namespace).resource(secret(bundle, null)).create();
            return new Stored(bundle, created.getMetadata().getResourceVersion(), null);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
            Stored theirs = read();
            if (theirs == null) {
                throw new KubernetesClientException(describe() + " already exists but cannot be read back", e);
            }
            return theirs;
        }
    }

    /** Replaces the Secret read at {@code resourceVersion}; when it changed since, what is there now is returned. */
    Stored replace(String resourceVersion, CertificateBundle bundle) {
        try {
            Secret replaced = client.secrets().inNamespace(namespace).resource(secret(bundle, resourceVersion)).update();
            return new Stored(bundle, replaced.getMetadata().getResourceVersion(), null);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
            Stored theirs = read();
            if (theirs == null) {
                return create(bundle);
            }
            return theirs;
        }
    }

    private Secret secret(CertificateBundle bundle, String resourceVersion) {
        return new SecretBuilder()
                .withNewMetadata()
                    .withName(name)
                    .withNamespace(namespace)
                    .withResourceVersion(resourceVersion)
                    .addToLabels(MANAGED_BY, MANAGER)
                .endMetadata()
                .withType("kubernetes.io/tls")
                .withData(bundle.secretData())
                .build();
    }
}
