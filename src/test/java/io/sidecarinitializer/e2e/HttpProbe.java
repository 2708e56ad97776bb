package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Poll;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The controller's HTTP port on loopback, called as a kubelet's probes call it. */
record HttpProbe(int port) {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls /readyz until it answers 200; {@code assertAlive} fails the wait at once when the process is gone. */
    void awaitReady(String what, Duration timeout, Runnable assertAlive) {
        Poll.until(what + " to answer 200 on /readyz", timeout, () -> {
            assertAlive.run();
            return get("/readyz").statusCode() == 200;
        });
    }
}
