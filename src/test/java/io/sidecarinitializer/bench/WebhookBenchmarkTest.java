package io.sidecarinitializer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark's reading of the webhook's latency histogram: the figures it reports against issue 11's p99 target. */
class WebhookBenchmarkTest {
    private static final String METRICS = """
            # TYPE sidecar_admission_latency_seconds histogram
            sidecar_admission_latency_seconds_bucket{reason="policy_enabled",result="injected",le="0.001"} 40.0
            sidecar_admission_latency_seconds_bucket{reason="policy_enabled",result="injected",le="0.005"} 80.0
            sidecar_admission_latency_seconds_bucket{reason="policy_enabled",result="injected",le="0.01"} 90.0
            sidecar_admission_latency_seconds_bucket{reason="policy_enabled",result="injected",le="+Inf"} 90.0
            sidecar_admission_latency_seconds_bucket{reason="annotation_false",result="skipped",le="0.001"} 10.0
            sidecar_admission_latency_seconds_bucket{reason="annotation_false",result="skipped",le="0.005"} 10.0
            sidecar_admission_latency_seconds_bucket{reason="annotation_false",result="skipped",le="0.01"} 10.0
            sidecar_admission_latency_seconds_bucket{reason="annotation_false",result="skipped",le="+Inf"} 10.0
            sidecar_admission_requests_total{reason="policy_enabled",result="injected"} 90.0
            """;

    @Test
    void histogramSumsEveryLabelSetByBucket() {
        assertEquals(Map.of(0.001, 50.0, 0.005, 90.0, 0.01, 100.0, Double.POSITIVE_INFINITY, 100.0),
                WebhookBenchmark.histogram(METRICS));
    }

    @Test
    void percentileIsTheUpperBoundOfItsBucketAndInterpolatedIsInsideIt() {
        Map<Double, Double> after = WebhookBenchmark.histogram(METRICS);
        Map<Double, Double> before = Map.of(0.001, 10.0, 0.005, 10.0, 0.01, 10.0, Double.POSITIVE_INFINITY, 10.0);
        // 90 observations between the scrapes: 40 under 1 ms, 40 in (1, 5] ms, 10 in (5, 10] ms.
        assertEquals(0.01, WebhookBenchmark.percentile(before, after, 0.99));
        assertEquals(0.005 + 0.005 * (89.1 - 80) / 10, WebhookBenchmark.interpolated(before, after, 0.99), 1e-12);
        assertEquals(0.001 + 0.004 * (45 - 40) / 40, WebhookBenchmark.interpolated(before, after, 0.50), 1e-12);
        assertEquals(0.005, WebhookBenchmark.percentile(before, after, 0.50));
        assertEquals("≤1: 40, ≤5: 40, ≤10: 10", WebhookBenchmark.distribution(before, after));
    }

    @Test
    void withinIsTheShareAtOrBelowABucketBoundAndNeedsThatBucket() {
        Map<Double, Double> after = WebhookBenchmark.histogram(METRICS);
        Map<Double, Double> before = Map.of(0.001, 10.0, 0.005, 10.0, 0.01, 10.0, Double.POSITIVE_INFINITY, 10.0);

        assertEquals(80.0 / 90, WebhookBenchmark.within(before, after, 0.005), 1e-12);
        assertEquals(40.0 / 90, WebhookBenchmark.within(before, after, 0.001), 1e-12);
        assertEquals(1.0, WebhookBenchmark.within(before, after, 0.01), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> WebhookBenchmark.within(before, after, 0.004));
    }
}
