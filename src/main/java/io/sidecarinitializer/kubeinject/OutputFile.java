package io.sidecarinitializer.kubeinject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes {@code -o}'s content the way a careful editor saves a file. A regular file gets a temp file in its own
 * folder, then a rename, so a reader sees the old content or the new, never half; the file keeps its mode, and a
 * new one gets the umask's (0644 under 022). A symlink is followed, and its target is what is replaced. A special
 * file ({@code /dev/stdout}, {@code /dev/null}, a FIFO) cannot be renamed over, so it is written directly.
 */
final class OutputFile {
    private static final int MAX_LINKS = 40;

    private OutputFile() {}

    static void write(Path output, ByteArrayOutputStream content) throws ManifestException {
        try {
            Path target = target(output);
            if (isDescriptor(target) || Files.exists(target) && !Files.isRegularFile(target)) {
                if (Files.isDirectory(target)) {
                    throw new ManifestException("cannot write " + output + ": is a directory");
                }
                try (OutputStream stream = Files.newOutputStream(output, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    content.writeTo(stream);
                }
                return;
            }
            replace(target, content);
        } catch (IOException e) {
            throw new ManifestException("cannot write " + output + ": " + reason(e));
        }
    }

    /** The path that ends up holding the content: the end of the symlink chain, which may not exist yet. */
    private static Path target(Path output) throws IOException {
        Path at = output.toAbsolutePath();
        for (int i = 0; i < MAX_LINKS && Files.isSymbolicLink(at) && !isDescriptor(at); i++) {
            at = at.resolveSibling(Files.readSymbolicLink(at));
        }
        return at;
    }

    /**
     * /dev/stdout and /proc/self/fd/N name an open descriptor (a pipe, a terminal, or a file the shell opened, maybe
     * for appending): only writing through it keeps its meaning.
     */
    private static boolean isDescriptor(Path path) {
        return path.startsWith("/dev/") && !path.startsWith("/dev/shm/") || path.startsWith("/proc/");
    }

    private static void replace(Path target, ByteArrayOutputStream content) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        boolean done = false;
        // CREATE_NEW with no permissions given: the kernel applies the umask to 0666, as for any new file.
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            content.writeTo(Channels.newOutputStream(channel));
            channel.force(true);
            if (Files.exists(target)) {
                Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(target));
            }
            channel.close();
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** What went wrong, in the words of {@code strerror}, since NIO's messages are often only the file name. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(java.util.Locale.ROOT);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().toLowerCase(java.util.Locale.ROOT);
    }
}
