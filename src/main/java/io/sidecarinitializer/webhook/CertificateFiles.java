package io.sidecarinitializer.webhook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --tls-cert-file} and {@code --tls-key-file}, read again whenever their content changes: a mounted
 * Secret (kubelet swaps a symlink) or cert-manager rotating it. Polled rather than watched, since file events do
 * not follow the symlink swap. A pair that does not parse or does not match is logged once and the one in use
 * stays.
 */
public final class CertificateFiles implements AutoCloseable {
    public static final Duration POLL_INTERVAL = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(CertificateFiles.class);

    private final Path certFile;
    private final Path keyFile;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "webhook-certificate-files");
        t.setDaemon(true);
        return t;
    });
    private String lastSeen = "";

    public CertificateFiles(Path certFile, Path keyFile) {
        this.certFile = certFile;
        this.keyFile = keyFile;
    }

    /** Reads and checks the pair; the message names the file at fault. */
    public synchronized TlsCredentials read() throws IOException {
        String cert = Files.readString(certFile, StandardCharsets.US_ASCII);
        String key = Files.readString(keyFile, StandardCharsets.US_ASCII);
        lastSeen = cert + key;
        return TlsCredentials.of(cert, key, "--tls-cert-file " + certFile, "--tls-key-file " + keyFile);
    }

    /** From now on hands every new, valid pair to {@code onChange}, looking every {@code interval}. */
    public void start(Consumer<TlsCredentials> onChange, Duration interval) {
        timer.scheduleWithFixedDelay(() -> poll(onChange), interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void poll(Consumer<TlsCredentials> onChange) {
        String cert;
        String key;
        try {
            cert = Files.readString(certFile, StandardCharsets.US_ASCII);
            key = Files.readString(keyFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            String seen = "unreadable:" + e;
            if (!seen.equals(lastSeen)) {
                log.warn("Cannot read the certificate files ({}); the certificate in use stays", e.toString());
                lastSeen = seen;
            }
            return;
        }
        if ((cert + key).equals(lastSeen)) {
            return;
        }
        lastSeen = cert + key;
        try {
            onChange.accept(TlsCredentials.of(cert, key, "--tls-cert-file " + certFile, "--tls-key-file " + keyFile));
        } catch (RuntimeException e) {
            log.warn("Not reloading the certificate files: {}; the certificate in use stays", e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
