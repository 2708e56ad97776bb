package io.sidecarinitializer.kubeinject;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * One golden case under {@code src/test/resources/golden}: {@code <case>.in.yaml} (or {@code .in.json}),
 * the expected kube-inject output {@code <case>.out.yaml}, optional flags in {@code <case>.args} (one per
 * line, {@code #} comments, {@code {golden}} stands for the golden directory) and optionally the expected
 * JSON Patch {@code <case>.patch.json}. See README.md in that directory.
 */
public record GoldenCase(String name, Path input, Path output, List<String> args) {
    /** {@code -Dgolden.update=true} rewrites expected files instead of comparing; review the diff before committing. */
    static final boolean UPDATE = Boolean.getBoolean("golden.update");
    /** Every case runs with this status version so that a release does not rewrite every golden file. */
    public static final String VERSION = "golden";

    public static Path dir() {
        return Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/golden").toAbsolutePath();
    }

    public static List<GoldenCase> all() {
        try (Stream<Path> files = Files.list(dir())) {
            List<GoldenCase> cases = new ArrayList<>();
            for (Path in : files.sorted().toList()) {
                String file = in.getFileName().toString();
                for (String ext : List.of("yaml", "json")) {
                    if (file.endsWith(".in." + ext)) {
                        String name = file.substring(0, file.length() - (".in." + ext).length());
                        cases.add(new GoldenCase(name, in, dir().resolve(name + ".out." + ext), readArgs(name)));
                    }
                }
            }
            assertThat(cases).as("golden cases in %s", dir()).isNotEmpty();
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static GoldenCase named(String name) {
        return all().stream().filter(c -> c.name.equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no golden case " + name));
    }

    private static List<String> readArgs(String name) throws IOException {
        Path file = dir().resolve(name + ".args");
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .map(l -> l.replace("{golden}", dir().toString()))
                .toList();
    }

    /** kube-inject's arguments for this case's input, or for another file with the same flags. */
    String[] kubeInjectArgs(Path file) {
        List<String> all = new ArrayList<>(List.of("-f", file.toString(), "--quiet"));
        if (args.stream().noneMatch(a -> a.startsWith("--setVersionString"))) {
            all.add("--setVersionString=" + VERSION);
        }
        all.addAll(args);
        return all.toArray(String[]::new);
    }

    public String inputText() {
        return read(input);
    }

    public String expectedOutput() {
        return read(output);
    }

    @Override
    public String toString() {
        return name;
    }

    public static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compares with the expected file byte for byte, or, in update mode, rewrites it and aborts the test for review. */
    public static void assertMatchesFile(Path expected, String actual) {
        if (UPDATE) {
            String before = Files.exists(expected) ? read(expected) : null;
            if (!actual.equals(before)) {
                try {
                    Files.writeString(expected, actual);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                Assumptions.abort("rewrote " + expected + "; review it against SPEC §4 before committing");
            }
            return;
        }
        assertThat(expected).as("expected file (create it with -Dgolden.update=true, then review it)").exists();
        assertThat(actual).as("compared with %s", expected.getFileName()).isEqualTo(read(expected));
    }
}
