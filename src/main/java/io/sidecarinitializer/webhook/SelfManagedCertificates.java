package io.sidecarinitializer.webhook;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificates with no manual step (no certificate files given): a CA and a serving certificate for the
 * Service's DNS names, kept in a Secret every replica shares, the CA written into the
 * MutatingWebhookConfiguration's caBundle, and both renewed at two thirds of their lifetime. Each check reads
 * the Secret again, so a renewal by another replica reaches this one too.
 */
public final class SelfManagedCertificates implements AutoCloseable {
    /** How often the Secret and the caBundle are looked at when all is well. */
    public static final Duration CHECK_INTERVAL = Duration.ofSeconds(30);
    /** How soon to look again after a failure or while the MutatingWebhookConfiguration does not exist yet. */
    public static final Duration RETRY_INTERVAL = Duration.ofSeconds(2);
    private static final Logger log = LoggerFactory.getLogger(SelfManagedCertificates.class);

    private final CertificateSecret secret;
    private final WebhookCaBundle caBundle;
    private final List<String> names;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "webhook-certificates");
        t.setDaemon(true);
        return t;
    });
    private CertificateBundle current;
    private boolean announcedMissingConfig;
    private volatile boolean caBundleInPlace;

    /**
     * @param names          the DNS names and IP addresses the serving certificate must cover
     * @param webhookConfig  the MutatingWebhookConfiguration whose webhooks get the caBundle
     */
    public SelfManagedCertificates(KubernetesClient client, String namespace, String secretName, String webhookConfig,
                                   List<String> names, Clock clock) {
        this.secret = new CertificateSecret(client, namespace, secretName);
        this.caBundle = new WebhookCaBundle(client, webhookConfig);
        this.names = List.copyOf(names);
        this.clock = clock;
    }

    /** One check: the Secret is there and current, the caBundle written. Returns the certificate to serve. */
    public synchronized TlsCredentials check() {
        CertificateSecret.Stored stored = secret.read();
        if (stored == null) {
            stored = secret.create(CertificateBundle.create(names, clock.instant()));
            log.info("Serving certificate for {} kept in {} (created, or made by another replica first)", names, secret.describe());
        } else if (stored.bundle() == null) {
            log.warn("{} cannot be used ({}); replacing it with a new CA and serving certificate", secret.describe(), stored.problem());
            stored = secret.replace(stored.resourceVersion(), CertificateBundle.create(names, clock.instant()));
        }
        String why = stored.bundle() == null ? null : stored.bundle().renewalReason(names, clock.instant());
        if (why != null) {
            log.info("Renewing the webhook certificate in {}: {}", secret.describe(), why);
            stored = secret.replace(stored.resourceVersion(), stored.bundle().renewed(names, clock.instant()));
        }
        if (stored.bundle() == null) {
            throw new IllegalStateException(secret.describe() + " cannot be used: " + stored.problem());
        }
        current = stored.bundle();
        writeCaBundle();
        return current.serving();
    }

    private void writeCaBundle() {
        WebhookCaBundle.Result result = caBundle.write(current.caBundle());
        caBundleInPlace = result != WebhookCaBundle.Result.NOT_FOUND;
        switch (result) {
            case WRITTEN -> {
                log.info("Wrote our CA into the caBundle of {}", caBundle.describe());
                announcedMissingConfig = false;
            }
            case NOT_FOUND -> {
                if (!announcedMissingConfig) {
                    log.warn("{} not found; its caBundle will be written as soon as it exists", caBundle.describe());
                    announcedMissingConfig = true;
                }
            }
            case ALREADY_SET -> announcedMissingConfig = false;
        }
    }

    /** Whether the last check found the MutatingWebhookConfiguration with our CA in it. */
    public boolean caBundleInPlace() {
        return caBundleInPlace;
    }

    /** Checks again from now on, and hands each new serving certificate to {@code onChange}. */
    public void start(Consumer<TlsCredentials> onChange) {
        schedule(onChange, caBundleInPlace ? CHECK_INTERVAL : RETRY_INTERVAL);
    }

    private void schedule(Consumer<TlsCredentials> onChange, Duration delay) {
        try {
            timer.schedule(() -> {
                Duration next = CHECK_INTERVAL;
                try {
                    TlsCredentials before = current == null ? null : current.serving();
                    TlsCredentials now = check();
                    if (before == null || !now.certificateChain().equals(before.certificateChain())) {
                        onChange.accept(now);
                    }
                    if (!caBundleInPlace) {
                        next = RETRY_INTERVAL;
                    }
                } catch (KubernetesClientException | IllegalStateException | IllegalArgumentException e) {
                    log.warn("Cannot check the webhook certificate in {}: {}; retrying in {} s", secret.describe(), e.getMessage(),
                            RETRY_INTERVAL.toSeconds());
                    next = RETRY_INTERVAL;
                } catch (RuntimeException e) {
                    log.error("Checking the webhook certificate in {} failed; retrying in {} s", secret.describe(),
                            RETRY_INTERVAL.toSeconds(), e);
                    next = RETRY_INTERVAL;
                }
                schedule(onChange, next);
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // closed
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
