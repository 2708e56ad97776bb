package io.sidecarinitializer.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /inject} without the HTTP: body in, status and body out, every request counted and timed. A
 * body that is not an AdmissionReview gets a 400 (the API server then applies the webhook's failurePolicy);
 * a review gets a 200 with the answer, whatever the pod.
 */
public final class ReviewHandler {
    /** The largest body read, as the API server's own request limit (3 MiB). */
    public static final int MAX_BODY_BYTES = 3 * 1024 * 1024;
    public static final String MALFORMED = "malformed";
    public static final String TOO_LARGE = "too_large";
    private static final Logger log = LoggerFactory.getLogger(ReviewHandler.class);

    private final PodAdmission admission;
    private final AdmissionMetrics metrics;
    private final ObjectMapper json;

    public ReviewHandler(PodAdmission admission, AdmissionMetrics metrics, ObjectMapper json) {
        this.admission = admission;
        this.metrics = metrics;
        this.json = json;
    }

    /** An HTTP answer: status, content type and body. */
    public record Reply(int status, String contentType, byte[] body) {
        static Reply json(byte[] body) {
            return new Reply(200, "application/json", body);
        }

        static Reply text(int status, String message) {
            return new Reply(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    public Reply handle(byte[] body) {
        long start = System.nanoTime();
        AdmissionRequest request;
        try {
            request = AdmissionRequest.parse(json, body);
        } catch (MalformedReviewException e) {
            metrics.record(AdmissionMetrics.REJECTED, MALFORMED, System.nanoTime() - start);
            log.warn("Rejected a malformed AdmissionReview ({} bytes): {}", body.length, e.getMessage());
            return Reply.text(400, "malformed AdmissionReview: " + e.getMessage());
        }
        PodAdmission.Verdict verdict = admission.admit(request);
        byte[] answer = verdict.response().toReview(json, request.apiVersion(), request.uid());
        metrics.record(verdict.result(), verdict.reason(), System.nanoTime() - start);
        return Reply.json(answer);
    }

    /** A body over {@link #MAX_BODY_BYTES}: refused unread. */
    public Reply tooLarge() {
        metrics.refused(TOO_LARGE);
        log.warn("Rejected an AdmissionReview over {} bytes", MAX_BODY_BYTES);
        return Reply.text(413, "request body is over " + MAX_BODY_BYTES + " bytes");
    }
}
