package io.sidecarinitializer.e2e;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * kube-inject on many files with a few JVMs, each file's output as if it had been run alone ({@code -f FILE}).
 *
 * <p>kube-inject given a directory rewrites each file on its own and joins the results with {@code ---}
 * (README), so a directory holding the files with a marker ConfigMap after each gives every file's output between
 * two markers. When that run fails, the file its message names is run alone and the rest again; a message that
 * names no file splits the batch in two. A file that does not end in a line break is always run alone: the
 * join adds one, and its own output's last byte could not be told from it.
 */
final class KubeInjectBatches {
    private static final long TIMEOUT_SECONDS = 180;
    private static final String MARKER_SUFFIX = "~marker.yaml";

    /** One file's result: its exit status, its output, and stderr (for a batch run, empty). */
    record Result(int exit, byte[] stdout, String stderr) {}

    private final Path launcher;
    private final Map<String, String> environment;
    private final Path scratch;
    private final Map<Path, Result> results = new LinkedHashMap<>();
    private int batches;
    private int runs;

    KubeInjectBatches(Path launcher, Map<String, String> environment, Path scratch) {
        this.launcher = launcher;
        this.environment = environment;
        this.scratch = scratch;
    }

    Map<Path, Result> run(List<Path> files) throws IOException {
        List<Path> batched = new ArrayList<>();
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            if (bytes.length > 0 && bytes[bytes.length - 1] != '\n') {
                results.put(f, alone(f));
            } else {
                batched.add(f);
            }
        }
        batch(batched);
        return results;
    }

    /** How many kube-inject processes ran, for the test's log line. */
    int processes() {
        return runs;
    }

    private void batch(List<Path> files) throws IOException {
        if (files.size() <= 2) {
            for (Path f : files) {
                results.put(f, alone(f));
            }
            return;
        }
        Path dir = scratch.resolve("batch-" + ++batches);
        Files.createDirectories(dir);
        marker(dir, 0);
        for (int i = 0; i < files.size(); i++) {
            Files.copy(files.get(i), dir.resolve(String.format("%04d-%s", i + 1, files.get(i).getFileName())));
            marker(dir, i + 1);
        }
        Result r = exec(dir);
        if (r.exit() == 0) {
            split(files, r.stdout());
            return;
        }
        for (Path f : files) {
            if (r.stderr().contains(f.getFileName().toString())) {
                results.put(f, alone(f));
                List<Path> rest = new ArrayList<>(files);
                rest.remove(f);
                batch(rest);
                return;
            }
        }
        batch(files.subList(0, files.size() / 2));
        batch(files.subList(files.size() / 2, files.size()));
    }

    /** Cuts the joined output at the markers: between marker i-1 and marker i is "---\n", file i's output, "---\n". */
    private void split(List<Path> files, byte[] out) {
        byte[] first = marker(0).getBytes(StandardCharsets.UTF_8);
        int from = indexOf(out, first, 0) + first.length;
        for (int i = 0; i < files.size(); i++) {
            byte[] next = ("---\n" + marker(i + 1)).getBytes(StandardCharsets.UTF_8);
            int to = indexOf(out, next, from);
            if (to < 0 || !startsWith(out, from, "---\n")) {
                throw new AssertionError("kube-inject's directory output lost the marker after " + files.get(i));
            }
            results.put(files.get(i), new Result(0, Arrays.copyOfRange(out, from + 4, to), ""));
            from = to + next.length;
        }
    }

    private Result alone(Path file) {
        try {
            return exec(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Result exec(Path input) throws IOException {
        runs++;
        Path out = Files.createTempFile(scratch, "out", ".yaml");
        Path err = Files.createTempFile(scratch, "err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", launcher.toString(), "-f", input.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().remove("JAVA_TOOL_OPTIONS");
            pb.environment().putAll(environment);
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, new byte[0], "timed out after " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), Files.readAllBytes(out), Files.readString(err, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running kube-inject on " + input, e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static void marker(Path dir, int i) throws IOException {
        Files.writeString(dir.resolve(String.format("%04d%s", i, MARKER_SUFFIX)), marker(i));
    }

    private static String marker(int i) {
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-inject-batch-marker-" + i + "\n";
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static boolean startsWith(byte[] b, int at, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        return indexOf(Arrays.copyOfRange(b, at, Math.min(b.length, at + p.length)), p, 0) == 0;
    }
}
