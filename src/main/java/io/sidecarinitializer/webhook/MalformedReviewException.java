package io.sidecarinitializer.webhook;

/** A request body that is not an AdmissionReview we can answer; the message names the field. Answered with 400. */
public final class MalformedReviewException extends Exception {
    public MalformedReviewException(String message) {
        super(message);
    }
}
