package io.sidecarinitializer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Events are reports: they are written, once, but Normal ones wait while objects are being initialized. */
class EventRecorderTest {
    private final ApiServer api = ApiServer.modern();
    private final AtomicBoolean busy = new AtomicBoolean();
    private final EventRecorder events = new EventRecorder(api.client, "test-instance", busy::get);

    @AfterEach
    void stop() {
        events.close();
        api.close();
    }

    @Test
    void aNormalEventWaitsWhileTheControllerIsBusyAndIsWrittenWhenItIsIdle() throws InterruptedException {
        busy.set(true);
        events.record(deployment("a"), EventRecorder.NORMAL, "Injected", "injected", "a/1");

        Thread.sleep(300);
        assertThat(api.eventsAbout("default", "a")).isEmpty();

        busy.set(false);
        Poll.until("the Normal Event once the controller is idle", () -> api.eventsAbout("default", "a").size() == 1);
        Event e = api.eventsAbout("default", "a").get(0);
        assertThat(e.getReason()).isEqualTo("Injected");
        assertThat(e.getType()).isEqualTo("Normal");
        assertThat(e.getSource().getComponent()).isEqualTo("sidecar-initializer");
    }

    @Test
    void aNormalEventIsWrittenAfterTheLongestDeferralEvenIfTheControllerStaysBusy() {
        try (EventRecorder shortWait = new EventRecorder(api.client, "test-instance", () -> true, Duration.ofMillis(500))) {
            long start = System.nanoTime();
            shortWait.record(deployment("e"), EventRecorder.NORMAL, "Injected", "injected", null);

            Poll.until("the Normal Event after its deferral", Duration.ofSeconds(5), () -> api.eventsAbout("default", "e").size() == 1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
        }
    }

    @Test
    void aWarningEventDoesNotWait() {
        busy.set(true);

        events.record(deployment("b"), EventRecorder.WARNING, "InjectionFailed", "bad config", null);

        Poll.until("the Warning Event while busy", Duration.ofSeconds(5), () -> api.eventsAbout("default", "b").size() == 1);
    }

    @Test
    void closingWritesTheWaitingEventsAtOnce() {
        busy.set(true);
        for (int i = 0; i < 5; i++) {
            events.record(deployment("c" + i), EventRecorder.NORMAL, "Skipped", "skipped", "c" + i);
        }

        long start = System.nanoTime();
        events.close();

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(EventRecorder.MAX_DEFERRAL);
        assertThat(api.events("default")).hasSize(5);
    }

    @Test
    void theSameDedupeKeyIsWrittenOnce() {
        events.record(deployment("d"), EventRecorder.NORMAL, "Injected", "injected", "d/1");
        events.record(deployment("d"), EventRecorder.NORMAL, "Injected", "injected", "d/1");
        events.record(deployment("d"), EventRecorder.NORMAL, "Injected", "injected again", "d/2");
        events.close();

        assertThat(api.eventsAbout("default", "d")).extracting(Event::getMessage).containsExactlyInAnyOrder("injected", "injected again");
    }

    private static ObjectReference deployment(String name) {
        return new ObjectReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment").withNamespace("default")
                .withName(name).withUid(name + "-uid").build();
    }
}
