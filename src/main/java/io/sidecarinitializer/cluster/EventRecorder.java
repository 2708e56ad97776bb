package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events about the objects we act on, in the object's namespace. Each Event is sent at
 * most once per dedupe key (kept in a bounded memory), so resyncs do not repeat themselves. A failure to
 * write an Event is logged and otherwise ignored: Events are reports, not part of the protocol.
 *
 * <p>Events are written by one background thread, as client-go's event broadcaster does: the PATCH that
 * lets a pending object be created never waits behind a report. Normal Events also give way to work in
 * progress: while the controller is initializing objects they wait, up to {@link #MAX_DEFERRAL} after they
 * were recorded, so a burst of creations is not slowed by a second request per object; the backlog is
 * written once the burst is over. Warning Events add no wait of their own. A full queue drops new Events
 * with a warning; {@link #close} writes what is queued, without waiting, for a bounded time.
 */
public final class EventRecorder implements AutoCloseable {
    static final String NORMAL = "Normal";
    static final String WARNING = "Warning";
    static final String COMPONENT = "sidecar-initializer";
    /** Events waiting to be written (client-go's broadcaster holds 1,000); enough for a burst of 10,000 creations. */
    static final int QUEUE_LIMIT = 10_000;
    /** The longest a Normal Event waits for the controller to be idle before it is written anyway. */
    static final Duration MAX_DEFERRAL = Duration.ofSeconds(10);
    /** How often a waiting Event looks again. */
    private static final long IDLE_POLL_NANOS = Duration.ofMillis(20).toNanos();
    /** How long {@link #close} keeps writing queued Events. */
    static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(5);
    private static final int MESSAGE_LIMIT = 1024;
    private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);

    private final KubernetesClient client;
    private final String instance;
    private final BooleanSupplier busy;
    private final long maxDeferralNanos;
    private volatile boolean closing;
    private final RecentKeys sent = new RecentKeys(20_000);
    private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(QUEUE_LIMIT), r -> {
                Thread t = new Thread(r, "event-writer");
                t.setDaemon(true);
                return t;
            });

    /** @param busy whether objects are being initialized now: Normal Events wait while it holds */
    public EventRecorder(KubernetesClient client, String instance, BooleanSupplier busy) {
        this(client, instance, busy, MAX_DEFERRAL);
    }

    EventRecorder(KubernetesClient client, String instance, BooleanSupplier busy, Duration maxDeferral) {
        this.client = client;
        this.instance = instance;
        this.busy = busy;
        this.maxDeferralNanos = maxDeferral.toNanos();
    }

    /** Queues an Event unless one with the same dedupe key was sent already; returns at once. */
    void record(ObjectReference about, String type, String reason, String message, String dedupeKey) {
        if (dedupeKey != null && !sent.firstTime(dedupeKey)) {
            return;
        }
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Event event = new EventBuilder()
                .withNewMetadata()
                    .withName(about.getName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE))
                    .withNamespace(about.getNamespace())
                .endMetadata()
                .withInvolvedObject(about)
                .withType(type)
                .withReason(reason)
                .withMessage(message.length() > MESSAGE_LIMIT ? message.substring(0, MESSAGE_LIMIT - 3) + "..." : message)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .withNewSource().withComponent(COMPONENT).withHost(instance).endSource()
                .withReportingComponent(COMPONENT)
                .withReportingInstance(instance)
                .build();
        long recorded = System.nanoTime();
        boolean waits = NORMAL.equals(type);
        try {
            writer.execute(() -> {
                if (waits) {
                    giveWay(recorded);
                }
                write(event, dedupeKey);
            });
        } catch (RejectedExecutionException e) {
            if (dedupeKey != null) {
                sent.forget(dedupeKey);
            }
            log.warn("Dropping {} Event {} for {} {}/{}: {}", type, reason, about.getKind(), about.getNamespace(), about.getName(),
                    writer.isShutdown() ? "the controller is stopping" : QUEUE_LIMIT + " Events are already waiting to be written");
        }
    }

    /** Waits while the controller is busy, until the longest deferral after the Event was recorded. */
    private void giveWay(long recorded) {
        long deadline = recorded + maxDeferralNanos;
        while (!closing && busy.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(Math.min(left, IDLE_POLL_NANOS));
        }
    }

    private void write(Event event, String dedupeKey) {
        try {
            client.v1().events().inNamespace(event.getMetadata().getNamespace()).resource(event).create();
        } catch (KubernetesClientException e) {
            if (dedupeKey != null) {
                sent.forget(dedupeKey);
            }
            ObjectReference about = event.getInvolvedObject();
            log.warn("Cannot write {} Event {} for {} {}/{}: {}", event.getType(), event.getReason(), about.getKind(),
                    about.getNamespace(), about.getName(), e.getMessage());
        }
    }

    /** Writes the Events still queued, for at most {@link #FLUSH_TIMEOUT}, and stops the writer. */
    @Override
    public void close() {
        closing = true;
        writer.shutdown();
        try {
            if (!writer.awaitTermination(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                int dropped = writer.shutdownNow().size();
                log.warn("Stopped with {} Events not written after {} s", dropped, FLUSH_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            writer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
