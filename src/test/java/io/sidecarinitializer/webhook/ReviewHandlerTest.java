package io.sidecarinitializer.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad bodies get a 400 naming what is wrong, never an exception; every request is counted with its reason. */
class ReviewHandlerTest {
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final ReviewHandler handler = new ReviewHandler(new PodAdmission(() -> Reviews.injector(""), false, Reviews.JSON),
            new AdmissionMetrics(registry), Reviews.JSON);

    private double count(String result, String reason) {
        var counter = registry.find(AdmissionMetrics.REQUESTS).tag("result", result).tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "''                                                             | the body is not JSON",
        "{\"kind\":                                                     | the body is not JSON",
        "[1,2]                                                          | the body is not a JSON object",
        "\"AdmissionReview\"                                            | the body is not a JSON object",
        "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}                       | kind is 'Pod', expected AdmissionReview",
        "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v2\"} | apiVersion is 'admission.k8s.io/v2', expected admission.k8s.io/v1 or admission.k8s.io/v1beta1",
        "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\"} | request is missing, expected an object",
        "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{}} | request.uid is missing",
        "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":7}} | request.uid is '7', expected a string",
        "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":\"u\",\"object\":[]}} | request.object is a list, expected an object",
        "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":\"u\",\"namespace\":{}}} | request.namespace is an object, expected a string",
    })
    void aBodyThatIsNotAReviewGets400NamingTheField(String body, String message) {
        ReviewHandler.Reply reply = handler.handle(body.getBytes(StandardCharsets.UTF_8));

        assertThat(reply.status()).isEqualTo(400);
        assertThat(new String(reply.body(), StandardCharsets.UTF_8)).startsWith("malformed AdmissionReview: ").contains(message);
        assertThat(count(AdmissionMetrics.REJECTED, ReviewHandler.MALFORMED)).isEqualTo(1);
    }

    @Test
    void binaryGarbageIsA400NotACrash() {
        byte[] garbage = new byte[4096];
        new java.util.Random(7).nextBytes(garbage);

        assertThat(handler.handle(garbage).status()).isEqualTo(400);
    }

    @Test
    void deeplyNestedJsonIsA400NotAStackOverflow() {
        String nested = "[".repeat(100_000) + "]".repeat(100_000);

        assertThat(handler.handle(nested.getBytes(StandardCharsets.US_ASCII)).status()).isEqualTo(400);
    }

    @Test
    void eachAnswerIsCountedByResultAndReasonAndTimed() {
        handler.handle(Reviews.podCreate("shop", Reviews.pod("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: a\n    image: x\n")));
        handler.handle(Reviews.podCreate("kube-system", Reviews.pod("apiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n  - name: b\n    image: x\n")));
        handler.handle(Reviews.review(AdmissionRequest.V1BETA1, "DELETE", "shop", null));
        handler.tooLarge();

        assertThat(count(AdmissionMetrics.INJECTED, "policy_enabled")).isEqualTo(1);
        assertThat(count(AdmissionMetrics.SKIPPED, "system_namespace")).isEqualTo(1);
        assertThat(count(AdmissionMetrics.SKIPPED, PodAdmission.NOT_POD_CREATE)).isEqualTo(1);
        assertThat(count(AdmissionMetrics.REJECTED, ReviewHandler.TOO_LARGE)).isEqualTo(1);
        assertThat(registry.find(AdmissionMetrics.LATENCY).timer().count()).as("a refused body has no handling time").isEqualTo(3);
    }

    @Test
    void theAnswerMirrorsApiVersionAndUid() {
        byte[] request = Reviews.review(AdmissionRequest.V1BETA1, "CREATE", "shop",
                Reviews.pod("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: a\n    image: x\n"));

        var answer = Reviews.tree(handler.handle(request).body());

        assertThat(answer.get("apiVersion").asText()).isEqualTo(AdmissionRequest.V1BETA1);
        assertThat(answer.get("kind").asText()).isEqualTo("AdmissionReview");
        assertThat(answer.at("/response/uid").asText()).isEqualTo(Reviews.tree(request).at("/request/uid").asText());
        assertThat(answer.at("/response/patchType").asText()).isEqualTo("JSONPatch");
    }
}
