package io.sidecarinitializer.kubeinject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** kube-inject's inputs read as bytes, with failures that name the file and say why in one line. */
final class InputFiles {
    private InputFiles() {}

    static byte[] read(Path file) throws ManifestException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ManifestException(file + ": cannot read: " + OutputFile.reason(e));
        }
    }

    /** A config file named by {@code flag}, as UTF-8 text. */
    static String readUtf8(Path file, String flag) throws ManifestException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ManifestException(flag + " " + file + ": not found");
        } catch (IOException e) {
            throw new ManifestException(flag + " " + file + ": cannot read: " + OutputFile.reason(e));
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ManifestException(flag + " " + file + ": not UTF-8 text");
        }
    }

    static byte[] readStdin(InputStream in) throws ManifestException {
        if (in == System.in && stdinWasClosed()) {
            throw new ManifestException("<stdin>: closed (started with <&-); pipe the manifests in or use -f FILE");
        }
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new ManifestException("<stdin>: cannot read (is it closed?): " + OutputFile.reason(e));
        }
    }

    /**
     * Started with stdin closed, the JVM's first open file (its modules image, the jar, a class-data archive) takes
     * descriptor 0, and stdin would read that binary. Linux names what descriptor 0 is.
     */
    private static boolean stdinWasClosed() {
        try {
            Path zero = Files.readSymbolicLink(Path.of("/proc/self/fd/0"));
            String name = zero.toString();
            return zero.startsWith(Path.of(System.getProperty("java.home"))) || name.endsWith(".jsa") || name.endsWith(".jar")
                    || List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).contains(name);
        } catch (IOException | UnsupportedOperationException e) {
            return false; // not Linux, or no /proc: read stdin as it is
        }
    }

    /** Every .yaml, .yml and .json file below {@code dir}, sorted; an unreadable folder is an error, not a skip. */
    static List<Path> manifestsBelow(Path dir) throws ManifestException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).filter(InputFiles::isManifest).sorted().toList();
        } catch (UncheckedIOException e) {
            throw unreadable(dir, e.getCause());
        } catch (IOException e) {
            throw unreadable(dir, e);
        }
    }

    private static ManifestException unreadable(Path dir, IOException e) {
        String where = e instanceof java.nio.file.FileSystemException f && f.getFile() != null ? f.getFile() : dir.toString();
        return new ManifestException(where + ": cannot read directory: " + OutputFile.reason(e));
    }

    private static boolean isManifest(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
    }
}
