package io.sidecarinitializer.initializer;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events about the objects we act on, in the object's namespace. Each Event is sent at
 * most once per dedupe key (kept in a bounded memory), so resyncs do not repeat themselves. A failure to
 * write an Event is logged and otherwise ignored: Events are reports, not part of the protocol.
 */
final class EventRecorder {
    static final String NORMAL = "Normal";
    static final String WARNING = "Warning";
    static final String COMPONENT = "sidecar-initializer";
    private static final int MESSAGE_LIMIT = 1024;
    private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);

    private final KubernetesClient client;
    private final String instance;
    private final RecentKeys sent = new RecentKeys(20_000);

    EventRecorder(KubernetesClient client, String instance) {
        this.client = client;
        this.instance = instance;
    }

    /** Sends an Event unless one with the same dedupe key was sent already. */
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
        try {
            client.v1().events().inNamespace(about.getNamespace()).resource(event).create();
        } catch (KubernetesClientException e) {
            if (dedupeKey != null) {
                sent.forget(dedupeKey);
            }
            log.warn("Cannot write {} Event {} for {} {}/{}: {}", type, reason, about.getKind(), about.getNamespace(),
                    about.getName(), e.getMessage());
        }
    }
}
