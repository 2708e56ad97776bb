package io.sidecarinitializer.kube;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Asks the API server for gzip-compressed responses to GET requests that are not watches, and decompresses
 * them as they arrive. kube-apiserver (1.16 and later) gzips a response larger than 128 KiB when asked, as
 * client-go always asks; fabric8's JDK HTTP client neither asks nor decompresses.
 *
 * <p>It matters for the informers' first lists: a page of 500 injected Deployments is 4.6 MB of JSON and
 * 0.14 MB gzipped, so the controller receives and decrypts 33 times fewer bytes at start-up, and the server
 * answers each page sooner too. Watches are left alone: the server does not compress them, and a compressed
 * stream would hold events back.
 *
 * <p>A response is decompressed when its body starts with gzip's magic bytes: the consumer is chosen before
 * the response headers are known, and no JSON, YAML or protobuf body the server sends starts with them.
 */
public final class GzipResponses implements Interceptor {
    public static final String NAME = "gzip-responses";

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        if (applies(request)) {
            builder.setHeader("Accept-Encoding", "gzip");
        }
    }

    @Override
    public AsyncBody.Consumer<List<ByteBuffer>> consumer(AsyncBody.Consumer<List<ByteBuffer>> consumer, HttpRequest request) {
        return applies(request) ? new Gunzip(consumer) : consumer;
    }

    static boolean applies(HttpRequest request) {
        if (!"GET".equalsIgnoreCase(request.method())) {
            return false;
        }
        String query = request.uri().getRawQuery();
        return query == null || !(query.startsWith("watch=true") || query.contains("&watch=true"));
    }

    /**
     * Passes a body on, decompressed when it is gzip (RFC 1952, one or more members), checking each member's
     * CRC-32 and length. A body that is not gzip passes unchanged.
     */
    static final class Gunzip implements AsyncBody.Consumer<List<ByteBuffer>> {
        private static final int OUTPUT_CHUNK = 64 * 1024;
        private static final int FLAG_HCRC = 2;
        private static final int FLAG_EXTRA = 4;
        private static final int FLAG_NAME = 8;
        private static final int FLAG_COMMENT = 16;

        private enum State { START, HEADER, DATA, TRAILER, PLAIN }

        private final AsyncBody.Consumer<List<ByteBuffer>> downstream;
        private State state = State.START;
        /** Header or trailer bytes read so far, when they arrive split across chunks. */
        private byte[] pending = new byte[0];
        private Inflater inflater;
        /**
         * Where inflated bytes go. What was passed on stays as it is: later bytes are written after it, then to a
         * new window, so a small chunk in costs no more than the bytes it inflates to.
         */
        private byte[] window;
        private int filled;
        private final CRC32 crc = new CRC32();
        private long size;

        Gunzip(AsyncBody.Consumer<List<ByteBuffer>> downstream) {
            this.downstream = downstream;
        }

        @Override
        public void consume(List<ByteBuffer> chunks, AsyncBody body) throws Exception {
            if (state == State.PLAIN) {
                downstream.consume(chunks, body);
                return;
            }
            List<ByteBuffer> out = new ArrayList<>();
            try {
                for (ByteBuffer chunk : chunks) {
                    if (state == State.START && chunk.hasRemaining() && (chunk.get(chunk.position()) & 0xff) != 0x1f) {
                        state = State.PLAIN; // gzip's first byte is 0x1f; JSON's is '{' or white space
                    }
                    if (state == State.PLAIN) {
                        out.add(chunk);
                    } else {
                        decode(chunk, out);
                    }
                }
            } catch (IOException | DataFormatException e) {
                end();
                throw new IOException("cannot read the API server's gzip response: " + e.getMessage(), e);
            }
            if (out.isEmpty()) {
                body.consume(); // nothing to pass on yet (a header, a trailer): ask for the next chunk ourselves
            } else {
                downstream.consume(out, body);
            }
        }

        private void decode(ByteBuffer chunk, List<ByteBuffer> out) throws IOException, DataFormatException {
            while (chunk.hasRemaining()) {
                switch (state) {
                    case START, HEADER -> {
                        state = State.HEADER;
                        append(chunk);
                        startMember(out);
                    }
                    case DATA -> inflate(chunk, out);
                    case TRAILER -> {
                        append(chunk);
                        endMember(out);
                    }
                    default -> throw new IllegalStateException(state.name());
                }
            }
        }

        /** Once {@link #pending} holds a whole member header: inflates what follows it. */
        private void startMember(List<ByteBuffer> out) throws IOException, DataFormatException {
            int length = headerLength(pending);
            if (length < 0) {
                return; // the rest of the header is in a later chunk
            }
            ByteBuffer rest = ByteBuffer.wrap(pending, length, pending.length - length);
            pending = new byte[0];
            inflater = new Inflater(true);
            crc.reset();
            size = 0;
            state = State.DATA;
            decode(rest, out);
        }

        /** Inflates what it can of {@code input}; what follows the end of the deflate data is the trailer. */
        private void inflate(ByteBuffer input, List<ByteBuffer> out) throws IOException, DataFormatException {
            inflater.setInput(input); // the inflater advances the buffer's position as it reads
            while (true) {
                if (window == null || filled == window.length) {
                    window = new byte[OUTPUT_CHUNK];
                    filled = 0;
                }
                int n = inflater.inflate(window, filled, window.length - filled);
                if (n > 0) {
                    crc.update(window, filled, n);
                    size += n;
                    out.add(ByteBuffer.wrap(window, filled, n).slice());
                    filled += n;
                }
                if (inflater.finished()) {
                    end();
                    state = State.TRAILER;
                    if (input.hasRemaining()) {
                        append(input);
                        endMember(out);
                    }
                    return;
                }
                if (inflater.needsDictionary()) {
                    throw new IOException("the deflate data asks for a preset dictionary");
                }
                if (n == 0 && inflater.needsInput()) {
                    return;
                }
            }
        }

        /**
         * Once {@link #pending} holds the 8-byte trailer: checks it. Bytes after it start another member
         * (RFC 1952 2.2); a body that ends there is complete.
         */
        private void endMember(List<ByteBuffer> out) throws IOException, DataFormatException {
            if (pending.length < 8) {
                return;
            }
            long expectedCrc = littleEndian(pending, 0, 4);
            long expectedSize = littleEndian(pending, 4, 4);
            if (expectedCrc != crc.getValue()) {
                throw new IOException("CRC-32 mismatch (the response is damaged)");
            }
            if (expectedSize != (size & 0xffffffffL)) {
                throw new IOException("length mismatch: the trailer says " + expectedSize + " bytes, "
                        + (size & 0xffffffffL) + " were inflated");
            }
            ByteBuffer rest = ByteBuffer.wrap(pending, 8, pending.length - 8);
            pending = new byte[0];
            state = State.HEADER;
            decode(rest, out);
        }

        private void append(ByteBuffer chunk) {
            byte[] grown = Arrays.copyOf(pending, pending.length + chunk.remaining());
            chunk.get(grown, pending.length, chunk.remaining());
            pending = grown;
        }

        /** The length of the gzip member header at the start of {@code b}, or -1 when more bytes are needed. */
        static int headerLength(byte[] b) throws IOException {
            if (b.length < 10) {
                if (b.length >= 2 && ((b[0] & 0xff) != 0x1f || (b[1] & 0xff) != 0x8b)) {
                    throw new IOException("not gzip (no magic bytes)");
                }
                return -1;
            }
            if ((b[0] & 0xff) != 0x1f || (b[1] & 0xff) != 0x8b) {
                throw new IOException("not gzip (no magic bytes)");
            }
            if (b[2] != 8) {
                throw new IOException("unsupported compression method " + b[2]);
            }
            int flags = b[3] & 0xff;
            int at = 10;
            if ((flags & FLAG_EXTRA) != 0) {
                if (b.length < at + 2) {
                    return -1;
                }
                at += 2 + (int) littleEndian(b, at, 2);
            }
            if ((flags & FLAG_NAME) != 0) {
                at = afterZero(b, at);
            }
            if (at >= 0 && (flags & FLAG_COMMENT) != 0) {
                at = afterZero(b, at);
            }
            if (at >= 0 && (flags & FLAG_HCRC) != 0) {
                at += 2;
            }
            return at < 0 || at > b.length ? -1 : at;
        }

        private static int afterZero(byte[] b, int from) {
            for (int i = from; i < b.length; i++) {
                if (b[i] == 0) {
                    return i + 1;
                }
            }
            return -1;
        }

        private static long littleEndian(byte[] b, int from, int bytes) {
            long value = 0;
            for (int i = bytes - 1; i >= 0; i--) {
                value = (value << 8) | (b[from + i] & 0xff);
            }
            return value;
        }

        private void end() {
            if (inflater != null) {
                inflater.end();
                inflater = null;
            }
        }

        @Override
        public <U> U unwrap(Class<U> target) {
            return downstream.unwrap(target);
        }
    }
}
