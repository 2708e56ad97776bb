package io.sidecarinitializer.yaml;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * One document of a YAML stream exactly as its bytes were: the separator line that opened it (empty for the first
 * document when it has none) and its body, so a document we leave alone is written back byte for byte, whatever
 * its encoding. Only a document we parse is decoded, as UTF-8 (what kubectl reads).
 *
 * @param number    1-based position in the stream
 * @param firstLine 1-based line of the stream on which the body starts
 * @param stream    the whole stream; the document is {@code stream[start, end)}, its body {@code [bodyStart, end)}
 */
public record RawDocument(int number, int firstLine, byte[] stream, int start, int bodyStart, int end) {

    /** True when the document holds nothing but blank lines and comments. */
    public boolean isBlank() {
        int at = bodyStart == 0 && hasBom(stream) ? 3 : bodyStart;
        while (at < end) {
            int lineEnd = at;
            while (lineEnd < end && stream[lineEnd] != '\n') {
                lineEnd++;
            }
            int s = at;
            while (s < lineEnd && isBlankByte(stream[s])) {
                s++;
            }
            boolean ignorable = s == lineEnd || stream[s] == '#'
                    || (lineEnd - s >= 3 && stream[s] == '.' && stream[s + 1] == '.' && stream[s + 2] == '.' && onlyBlanks(s + 3, lineEnd));
            if (!ignorable) {
                return false;
            }
            at = lineEnd + 1;
        }
        return true;
    }

    private boolean onlyBlanks(int from, int to) {
        for (int i = from; i < to; i++) {
            if (!isBlankByte(stream[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBlankByte(byte b) {
        return b == ' ' || b == '\t' || b == '\r';
    }

    /** A UTF-8 byte order mark opens the stream. */
    public static boolean hasBom(byte[] stream) {
        return stream.length >= 3 && stream[0] == (byte) 0xEF && stream[1] == (byte) 0xBB && stream[2] == (byte) 0xBF;
    }

    /** The body decoded as UTF-8; bytes that are not UTF-8 become U+FFFD (see {@link #firstNonUtf8Line}). */
    public String body() {
        return new String(stream, bodyStart, end - bodyStart, StandardCharsets.UTF_8);
    }

    public String separator() {
        return new String(stream, start, bodyStart - start, StandardCharsets.UTF_8);
    }

    /** The original text, separator included, decoded as {@link #body()} is. */
    public String text() {
        return new String(stream, start, end - start, StandardCharsets.UTF_8);
    }

    public boolean hasSeparator() {
        return bodyStart > start;
    }

    /** Appends the original bytes, separator included. */
    public void writeTo(ByteArrayOutputStream out) {
        out.write(stream, start, end - start);
    }

    /** The stream line of the first byte sequence in the body that is not UTF-8, or 0 when it is all UTF-8. */
    public int firstNonUtf8Line() {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(stream, bodyStart, end - bodyStart);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                int line = firstLine;
                for (int i = bodyStart; i < in.position(); i++) {
                    line += stream[i] == '\n' ? 1 : 0;
                }
                return line;
            }
            if (result.isUnderflow()) {
                return 0;
            }
            out.clear();
        }
    }
}
