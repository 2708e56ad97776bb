package io.sidecarinitializer.yaml;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a multi-document YAML stream at its {@code ---} lines without parsing it, so every document keeps
 * its exact text (comments, quoting, spacing) and can be parsed, and reported on, alone.
 */
public final class YamlDocuments {
    private YamlDocuments() {}

    public static List<RawDocument> split(String text) {
        List<RawDocument> docs = new ArrayList<>();
        String separator = "";
        int bodyStart = 0;
        int bodyLine = 1;
        int line = 1;
        int at = 0;
        while (at < text.length()) {
            int nl = text.indexOf('\n', at);
            int end = nl < 0 ? text.length() : nl + 1;
            if (isSeparator(text, at, end)) {
                if (at > bodyStart || !separator.isEmpty()) {
                    docs.add(new RawDocument(docs.size() + 1, bodyLine, separator, text.substring(bodyStart, at)));
                }
                separator = text.substring(at, end);
                bodyStart = end;
                bodyLine = line + 1;
            }
            at = end;
            line++;
        }
        if (bodyStart < text.length() || !separator.isEmpty() || docs.isEmpty()) {
            docs.add(new RawDocument(docs.size() + 1, bodyLine, separator, text.substring(bodyStart)));
        }
        return docs;
    }

    /** A line that is {@code ---} alone, or followed by white space or a comment. */
    private static boolean isSeparator(String text, int start, int end) {
        if (end - start < 3 || !text.startsWith("---", start)) {
            return false;
        }
        String rest = text.substring(start + 3, end).strip();
        return rest.isEmpty() || rest.startsWith("#");
    }
}
