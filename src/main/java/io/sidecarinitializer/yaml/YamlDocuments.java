package io.sidecarinitializer.yaml;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a multi-document YAML stream at its {@code ---} lines without parsing or decoding it, so every document
 * keeps its exact bytes (comments, quoting, spacing, even bytes that are not UTF-8) and can be parsed, and
 * reported on, alone.
 */
public final class YamlDocuments {
    private YamlDocuments() {}

    public static List<RawDocument> split(String text) {
        return split(text.getBytes(StandardCharsets.UTF_8));
    }

    public static List<RawDocument> split(byte[] stream) {
        List<RawDocument> docs = new ArrayList<>();
        int start = 0;
        int bodyStart = 0;
        int bodyLine = 1;
        int line = 1;
        int at = 0;
        while (at < stream.length) {
            int nl = indexOf(stream, (byte) '\n', at);
            int end = nl < 0 ? stream.length : nl + 1;
            if (isSeparator(stream, at, end)) {
                if (at > bodyStart || bodyStart > start) {
                    docs.add(new RawDocument(docs.size() + 1, bodyLine, stream, start, bodyStart, at));
                }
                start = at;
                bodyStart = end;
                bodyLine = line + 1;
            }
            at = end;
            line++;
        }
        if (bodyStart < stream.length || bodyStart > start || docs.isEmpty()) {
            docs.add(new RawDocument(docs.size() + 1, bodyLine, stream, start, bodyStart, stream.length));
        }
        return docs;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** A line that is {@code ---} alone, or followed by white space or a comment. */
    private static boolean isSeparator(byte[] s, int start, int end) {
        if (end - start < 3 || s[start] != '-' || s[start + 1] != '-' || s[start + 2] != '-') {
            return false;
        }
        int i = start + 3;
        while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
            i++;
        }
        return i == end || s[i] == '#';
    }
}
