package io.sidecarinitializer.e2e;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One finished external command (kubectl, bash, kube-env.sh): exit status and everything it printed.
 * Output goes to files, not pipes, so a daemon the command leaves behind can never hold us open.
 */
record CommandResult(List<String> command, int exit, String stdout, String stderr) {

    /** kubectl 1.32 against a 1.20 server says this on every call; it is noise in a failure report. */
    private static final String SKEW_WARNING = "WARNING: version difference between client";

    static CommandResult run(List<String> command, Map<String, String> env, Path workDir, String stdin, Duration timeout) {
        Path out = null;
        Path err = null;
        Path in = null;
        try {
            out = Files.createTempFile("e2e-cmd-", ".out");
            err = Files.createTempFile("e2e-cmd-", ".err");
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            if (stdin != null) {
                in = Files.createTempFile("e2e-cmd-", ".in");
                Files.writeString(in, stdin);
                pb.redirectInput(in.toFile());
            } else {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            pb.environment().putAll(env);
            Process process = pb.start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + String.join(" ", command)
                        + "\n--- stdout:\n" + read(out) + "\n--- stderr:\n" + read(err));
            }
            return new CommandResult(List.copyOf(command), process.exitValue(), read(out), read(err));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), e);
        } finally {
            for (Path p : new Path[] {out, err, in}) {
                if (p != null) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException ignored) {
                        // a temp file left in /tmp is harmless
                    }
                }
            }
        }
    }

    boolean ok() {
        return exit == 0;
    }

    /** This result, or an AssertionError with the command and its whole output when it failed. */
    CommandResult assertOk() {
        if (exit != 0) {
            throw new AssertionError(describe());
        }
        return this;
    }

    /** stderr without kubectl's version-skew warning. */
    String errors() {
        return stderr.lines().filter(l -> !l.startsWith(SKEW_WARNING)).collect(Collectors.joining("\n"));
    }

    String describe() {
        return "`" + String.join(" ", command) + "` exited " + exit + "\n--- stdout:\n" + stdout + "\n--- stderr:\n" + errors();
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
