package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Trees;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A YAML stream cut into its documents as raw bytes, each with the {@code ---} line that opens it, so that documents
 * kube-inject does not inject can be compared byte for byte. Written apart from kube-inject's own splitter on purpose.
 */
final class YamlDocumentBytes {
    /** A line that starts a document: {@code ---} then a blank, a line end, or the end of the stream. */
    private static final Pattern START = Pattern.compile("(?m)^(?=---(?:[ \\t\\r\\n]|$))");

    private YamlDocumentBytes() {}

    static List<byte[]> split(byte[] stream) {
        // ISO-8859-1 maps each byte to one char and back, so the cut is exact for any bytes.
        String text = new String(stream, StandardCharsets.ISO_8859_1);
        List<byte[]> docs = new ArrayList<>();
        for (String d : START.split(text, -1)) {
            docs.add(d.getBytes(StandardCharsets.ISO_8859_1));
        }
        return docs;
    }

    /** Whether {@code doc} carries more status annotations than {@code original}: kube-inject injected it. */
    static boolean injected(byte[] original, byte[] doc) {
        return count(doc) > count(original);
    }

    private static int count(byte[] doc) {
        String text = new String(doc, StandardCharsets.ISO_8859_1);
        int n = 0;
        for (int i = text.indexOf(Trees.STATUS_ANNOTATION); i >= 0; i = text.indexOf(Trees.STATUS_ANNOTATION, i + 1)) {
            n++;
        }
        return n;
    }
}
