package io.sidecarinitializer.kube;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * An object's JSON text, deflated on its own, as the caches keep what they do not need as an object. One
 * compressor and one decompressor per thread: zlib's native state per object showed in the process's RSS.
 */
final class DeflatedJson {
    private static final ThreadLocal<Deflater> DEFLATER = ThreadLocal.withInitial(() -> new Deflater(Deflater.BEST_SPEED));
    private static final ThreadLocal<Inflater> INFLATER = ThreadLocal.withInitial(Inflater::new);

    private DeflatedJson() {}

    static byte[] deflate(String json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(json.length() / 4);
        try (OutputStream deflating = deflating(out)) {
            deflating.write(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /** Deflates into {@code out}; closing the stream finishes the data, and this thread's compressor lives on. */
    static OutputStream deflating(ByteArrayOutputStream out) {
        Deflater deflater = DEFLATER.get();
        deflater.reset();
        return new DeflaterOutputStream(out, deflater, 8192);
    }

    static InputStream inflate(byte[] deflated) {
        Inflater inflater = INFLATER.get();
        inflater.reset();
        return new InflaterInputStream(new ByteArrayInputStream(deflated), inflater);
    }
}
