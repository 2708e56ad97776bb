package io.sidecarinitializer.e2e;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** The real kubectl, run as a user would, with one kubeconfig (one identity). */
final class Kubectl {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String executable;
    private final Path kubeconfig;
    private final Map<String, String> env;
    private final Path workDir;

    Kubectl(String executable, Path kubeconfig, Path cacheDir, Path workDir) {
        this.executable = executable;
        this.kubeconfig = kubeconfig;
        // Our own discovery cache: the user's ~/.kube/cache would collect one entry per random port.
        this.env = Map.of("KUBECONFIG", kubeconfig.toString(), "KUBECACHEDIR", cacheDir.toString());
        this.workDir = workDir;
    }

    Path kubeconfig() {
        return kubeconfig;
    }

    /** Environment for a shell pipeline that calls {@code kubectl} itself: this kubeconfig, and this kubectl first on PATH. */
    Map<String, String> environment() {
        Map<String, String> shell = new HashMap<>(env);
        Path dir = Path.of(executable).getParent();
        if (dir != null) {
            shell.put("PATH", dir.toAbsolutePath() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        }
        return shell;
    }

    /** Runs kubectl and returns whatever happened. */
    CommandResult run(String... args) {
        return runWithInput(null, args);
    }

    CommandResult runWithInput(String stdin, String... args) {
        List<String> command = new ArrayList<>();
        command.add(executable);
        command.addAll(List.of(args));
        return CommandResult.run(command, env, workDir, stdin, TIMEOUT);
    }

    /** Runs kubectl, fails the test with its output unless it exits 0, and returns stdout. */
    String ok(String... args) {
        return run(args).assertOk().stdout();
    }

    String okWithInput(String stdin, String... args) {
        return runWithInput(stdin, args).assertOk().stdout();
    }

    /** {@code kubectl ARGS -o json}, parsed. */
    Map<String, Object> json(String... args) {
        String out = ok(append(args, "-o", "json"));
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> tree = JSON.readValue(out, Map.class);
            return tree;
        } catch (JsonProcessingException e) {
            throw new AssertionError("kubectl printed no JSON for " + String.join(" ", args) + ":\n" + out, e);
        }
    }

    /** {@code kubectl ARGS -o yaml}, parsed: what a user reads with {@code kubectl get -o yaml}. */
    Map<String, Object> yaml(String... args) {
        String out = ok(append(args, "-o", "yaml"));
        Object doc = new Yaml(new LoaderOptions()).load(out);
        if (!(doc instanceof Map<?, ?>)) {
            throw new AssertionError("kubectl printed no YAML mapping for " + String.join(" ", args) + ":\n" + out);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = (Map<String, Object>) doc;
        return tree;
    }

    /** {@code kubectl auth can-i VERB RESOURCE ...}: true for "yes" (exit 0), false for "no" (exit 1). */
    boolean canI(String... args) {
        CommandResult r = run(prepend(new String[] {"auth", "can-i"}, args));
        if (r.exit() > 1) {
            throw new AssertionError(r.describe());
        }
        return r.ok() && r.stdout().trim().equals("yes");
    }

    private static String[] append(String[] args, String... more) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static String[] prepend(String[] first, String[] args) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }
}
