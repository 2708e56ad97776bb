package io.sidecarinitializer.kubeinject;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * target/kube-inject.jar, kube-inject alone: self-contained (every class its classes name is in it or in the JDK),
 * made of kube-inject's front, the engine and their libraries only, and it runs as the whole jar's kube-inject does.
 */
class KubeInjectJarIT {
    private static final Path SLIM = Path.of("target/kube-inject.jar").toAbsolutePath();
    private static final Path FULL = Path.of("target/sidecar-initializer.jar").toAbsolutePath();
    private static final Path SAMPLE = Path.of("manifests/samples/echo.yaml").toAbsolutePath();
    private static final List<String> CONTENTS = List.of("META-INF/", "io/sidecarinitializer/BuildInfo.class",
            "io/sidecarinitializer/kubeinject/", "io/sidecarinitializer/config/", "io/sidecarinitializer/inject/",
            "io/sidecarinitializer/yaml/", "picocli/", "org/yaml/snakeyaml/", "com/fasterxml/jackson/");

    private record Run(int exit, byte[] stdout, String stderr) {}

    @Test
    void everyClassItNamesIsInItOrInTheJdk() {
        assertThat(missingDependencies(SLIM)).isEmpty();
    }

    /** The check above must be able to fail: the same jar without SnakeYAML is reported. */
    @Test
    void jdepsReportsAClassTheJarLacks(@TempDir Path dir) throws IOException {
        Path withoutYaml = dir.resolve("kube-inject.jar");
        try (JarFile in = new JarFile(SLIM.toFile()); OutputStream file = Files.newOutputStream(withoutYaml);
             JarOutputStream out = new JarOutputStream(file)) {
            for (Enumeration<JarEntry> e = in.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                if (!entry.getName().startsWith("org/yaml/snakeyaml/")) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    try (InputStream data = in.getInputStream(entry)) {
                        data.transferTo(out);
                    }
                    out.closeEntry();
                }
            }
        }

        assertThat(missingDependencies(withoutYaml)).contains("org.yaml.snakeyaml").contains("not found");
    }

    @Test
    void holdsKubeInjectTheEngineAndTheirLibrariesOnly() throws IOException {
        List<String> others = new ArrayList<>();
        try (JarFile jar = new JarFile(SLIM.toFile())) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                if (!name.endsWith("/") && CONTENTS.stream().noneMatch(name::startsWith)) {
                    others.add(name);
                }
            }
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo(KubeInjectMain.class.getName());
        }
        assertThat(others).isEmpty();
    }

    /** Java 5 class files (picocli's own jar) cannot be archived by AppCDS or the AOT cache; its notice goes with it. */
    @Test
    void picocliIsInClassFilesTheClassCachesCanArchiveWithItsNotice() throws IOException {
        for (Path jar : List.of(SLIM, FULL)) {
            try (JarFile f = new JarFile(jar.toFile())) {
                JarEntry commandLine = f.getJarEntry("picocli/CommandLine.class");
                try (DataInputStream in = new DataInputStream(f.getInputStream(commandLine))) {
                    in.readInt(); // magic
                    in.readUnsignedShort(); // minor
                    assertThat(in.readUnsignedShort()).as(jar + ": class file major version").isEqualTo(61);
                }
                try (InputStream notice = f.getInputStream(f.getJarEntry("META-INF/picocli/NOTICE"))) {
                    assertThat(new String(notice.readAllBytes(), StandardCharsets.UTF_8)).as(jar + ": picocli's notice")
                            .startsWith("picocli " + picocli.CommandLine.VERSION + " ").contains("Apache License, Version 2.0");
                }
            }
        }
    }

    @Test
    void runsAsTheWholeJarsKubeInject() throws Exception {
        for (List<String> args : List.of(List.of("-f", SAMPLE.toString()), List.of("-f", SAMPLE.toString(), "--bogus"))) {
            Run whole = java(FULL, "kube-inject", args);
            Run alone = java(SLIM, null, args);

            assertThat(alone.exit()).as(String.join(" ", args)).isEqualTo(whole.exit());
            assertThat(alone.stdout()).isEqualTo(whole.stdout());
            assertThat(alone.stderr()).isEqualTo(whole.stderr());
        }
    }

    private static String missingDependencies(Path jar) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        int exit = jdeps.run(print, print, "--multi-release", "17", "--missing-deps", jar.toString());
        assertThat(exit).as(out.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Run java(Path jar, String command, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        if (command != null) {
            cmd.add(command);
        }
        cmd.addAll(args);
        Path out = Files.createTempFile("kube-inject-jar", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return new Run(p.exitValue(), Files.readAllBytes(out), err);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
