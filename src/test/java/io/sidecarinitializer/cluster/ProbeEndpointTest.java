package io.sidecarinitializer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.testing.Poll;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** /metrics, /healthz and /readyz on the JDK HTTP server. */
class ProbeEndpointTest extends ControllerTestSupport {
    private final HttpClient http = HttpClient.newHttpClient();

    ProbeEndpointTest() {
        super(ApiServer.withInitializers(), Mode.INITIALIZER);
    }

    @Test
    void servesProbesAndPrometheusMetrics() throws Exception {
        api.putConfig("istio-inject", "config", "policy: enabled\n");
        SidecarController c = start(options("a").withHttpPort(0));
        Manifest m = Manifest.deployment("shop", "web").pending(Manifest.OURS);
        Manifest broken = Manifest.deployment("shop", "broken").podSpec(42).pending(Manifest.OURS);
        createAll(m, broken);
        awaitInitialized(m);
        awaitInitialized(broken);
        api.putConfig("istio-inject", "config", "policy: 7\n");
        Poll.until("config error counted", () -> count(c, ControllerMetrics.CONFIG_ERRORS) == 1);

        assertThat(get(c, "/healthz")).satisfies(r -> assertThat(r.statusCode()).isEqualTo(200));
        HttpResponse<String> ready = get(c, "/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).startsWith("ready; mode initializer");
        HttpResponse<String> metrics = get(c, "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(metrics.body())
                .contains("sidecar_injections_total{kind=\"Deployment\",reason=\"policy_enabled\",result=\"injected\"} 1.0")
                .contains("sidecar_injections_total{kind=\"Deployment\",reason=\"unreadable\",result=\"failed\"} 1.0")
                .contains("sidecar_fail_open_total{cause=\"unreadable\",kind=\"Deployment\"} 1.0")
                .contains("sidecar_initialization_latency_seconds_count 2")
                .contains("sidecar_initialization_latency_seconds_bucket{le=\"")
                .contains("sidecar_config_reloads_total{result=\"ok\"} 1.0")
                .contains("sidecar_config_reloads_total{result=\"error\"} 1.0")
                .contains("sidecar_config_errors_total 1.0")
                .contains("sidecar_pending_objects_seen_total{kind=\"Deployment\"} 2.0")
                // The JVM's own figures, to size the memory limit and spot GC trouble.
                .contains("jvm_memory_used_bytes{area=\"heap\"")
                .contains("jvm_gc_memory_allocated_bytes_total")
                .contains("jvm_threads_live_threads")
                .contains("process_cpu_usage")
                .contains("process_uptime_seconds");
        assertThat(get(c, "/nothing").statusCode()).isEqualTo(404);
    }

    @Test
    void noHttpServerWhenThePortIsMinusOne() {
        SidecarController c = start(options("a"));
        assertThat(c.httpPort()).isEqualTo(ControllerOptions.NO_HTTP);
        assertThat(c.isReady()).isTrue();
    }

    private HttpResponse<String> get(SidecarController c, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.httpPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
