package io.sidecarinitializer.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.sidecarinitializer.cluster.StartupException;
import java.io.PrintWriter;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of an in-cluster front (`controller`, `webhook`): a client, a start that fails with a message an operator
 * can act on (exit 1), then a run until a signal (exit 0) or a stop the front cannot recover from (exit 1).
 */
final class ClusterProcess {
    /** A started front: why it stopped, once it does, and how to close what it holds. */
    record Running(CompletionStage<String> stopped, Runnable close) {}

    private ClusterProcess() {}

    static int run(String command, PrintWriter err, Function<KubernetesClient, Running> start) throws InterruptedException {
        Logger log = LoggerFactory.getLogger(ClusterProcess.class);
        KubernetesClient client;
        try {
            // Pinned: with both the JDK and the Vert.x HTTP clients on the classpath fabric8 would pick one at random.
            client = new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory()).build();
        } catch (RuntimeException e) {
            err.println(command + ": cannot configure the Kubernetes client: " + e.getMessage());
            err.flush();
            return Main.EXIT_BAD_INPUT;
        }
        Running front;
        try {
            front = start.apply(client);
        } catch (StartupException e) {
            err.println(command + ": " + e.getMessage());
            err.flush();
            client.close();
            return Main.EXIT_BAD_INPUT;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            front.close().run();
            client.close();
        }, command + "-shutdown"));
        try {
            String reason = front.stopped().toCompletableFuture().get();
            log.error("Exiting: {}", reason);
            return Main.EXIT_BAD_INPUT;
        } catch (ExecutionException e) {
            log.error("Exiting: {}", e.getCause().toString());
            return Main.EXIT_BAD_INPUT;
        } finally {
            front.close().run();
            client.close();
        }
    }
}
