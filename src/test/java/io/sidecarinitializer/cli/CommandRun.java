package io.sidecarinitializer.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs {@link Main} in this JVM with stdout and stderr captured, optionally pointing the Kubernetes client at a
 * server of the test's choosing; {@link #restore} undoes both.
 */
final class CommandRun {
    /** fabric8 reads these before KUBECONFIG; they point the command at a server of the test's choosing. */
    private static final Map<String, String> CLIENT_PROPERTIES = Map.of(
            "kubernetes.auth.tryKubeConfig", "false",
            "kubernetes.auth.tryServiceAccount", "false",
            "kubernetes.request.retry.backoffLimit", "0",
            "kubernetes.connection.timeout", "2000");

    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    void pointClientAt(String url) {
        CLIENT_PROPERTIES.forEach(System::setProperty);
        System.setProperty("kubernetes.master", url);
    }

    int run(String... args) {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return Main.run(args);
        } finally {
            System.setOut(realOut);
            System.setErr(realErr);
        }
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    void restore() {
        System.setOut(realOut);
        System.setErr(realErr);
        CLIENT_PROPERTIES.keySet().forEach(System::clearProperty);
        System.clearProperty("kubernetes.master");
    }
}
