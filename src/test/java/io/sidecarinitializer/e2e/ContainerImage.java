package io.sidecarinitializer.e2e;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.opentest4j.TestAbortedException;

/**
 * The controller's image, built from the Dockerfile with podman by {@code src/test/image/build-image.sh} on Debian
 * base images it makes and caches. Where podman, runc or mmdebstrap cannot be installed the script says so with
 * exit status 3, and the image tests are skipped (aborted) with its message; any other failure fails them.
 */
record ContainerImage(Path projectDir, String ref, String id, long sizeBytes, long buildSeconds, long baseSeconds) {
    /** A cold build makes two base images (about 3 minutes each) before the image itself. */
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);
    private static final Duration PODMAN_TIMEOUT = Duration.ofMinutes(2);
    /** build-image.sh's status for "no podman here", as opposed to a failed build. */
    private static final int UNAVAILABLE = 3;

    static ContainerImage build(Path projectDir, String tag) {
        Path log = projectDir.resolve("target/e2e/build-image.log");
        try {
            Files.createDirectories(log.getParent());
            Files.deleteIfExists(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int exit = KubeEnvironment.streamedExit(projectDir, log, BUILD_TIMEOUT, "bash", script(projectDir).toString(), "build", tag);
        if (exit == UNAVAILABLE) {
            // The script's last line says why.
            throw new TestAbortedException("skipping the image tests: " + KubeEnvironment.tail(log).strip().lines()
                    .reduce((first, second) -> second).orElse("build-image.sh exited " + UNAVAILABLE));
        }
        if (exit != 0) {
            throw new IllegalStateException("building the image failed (exit " + exit + "); see " + log + " and target/image/build.log\n"
                    + KubeEnvironment.tail(log));
        }
        Properties env = new Properties();
        Path envFile = projectDir.resolve("target/image/image.env");
        try (Reader in = Files.newBufferedReader(envFile)) {
            env.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("build-image.sh succeeded but " + envFile + " is unreadable", e);
        }
        return new ContainerImage(projectDir, required(env, envFile, "IMAGE"), required(env, envFile, "IMAGE_ID"), Long.parseLong(required(env, envFile, "IMAGE_SIZE_BYTES")),
                Long.parseLong(required(env, envFile, "BUILD_SECONDS")), Long.parseLong(required(env, envFile, "BASE_SECONDS")));
    }

    /** podman, with the flags this machine needs, through the script that owns them. */
    CommandResult podman(String... args) {
        return script("podman", args);
    }

    /** {@code podman run} with the script's ulimits; {@code args} are run's options, then this image and its arguments. */
    CommandResult run(List<String> options, List<String> imageArgs) {
        List<String> all = new ArrayList<>(options);
        // By id: another checkout's build on this machine may move the tag to its own image meanwhile.
        all.add(id);
        all.addAll(imageArgs);
        return script("run", all.toArray(String[]::new));
    }

    private CommandResult script(String command, String... args) {
        List<String> all = new ArrayList<>(List.of("bash", script(projectDir).toString(), command));
        all.addAll(List.of(args));
        return CommandResult.run(all, Map.of(), projectDir, null, PODMAN_TIMEOUT);
    }

    private static Path script(Path projectDir) {
        return projectDir.resolve("src/test/image/build-image.sh");
    }

    private static String required(Properties env, Path file, String key) {
        String value = env.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(file + " has no " + key);
        }
        return value;
    }
}
