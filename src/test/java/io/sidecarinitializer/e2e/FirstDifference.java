package io.sidecarinitializer.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** Where two JSON trees or two byte strings first differ, said so that a failing corpus case can be read at a glance. */
final class FirstDifference {
    private static final int SHOWN = 60;

    private FirstDifference() {}

    /** Null when equal; else the JSON path and both values there. */
    static String of(JsonNode expected, JsonNode actual) {
        return walk("", expected, actual);
    }

    private static String walk(String path, JsonNode expected, JsonNode actual) {
        if (expected.equals(actual)) {
            return null;
        }
        if (expected.isObject() && actual.isObject()) {
            Set<String> keys = new TreeSet<>();
            expected.fieldNames().forEachRemaining(keys::add);
            actual.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                String p = path + "." + k;
                if (!expected.has(k)) {
                    return p + ": added " + shown(actual.get(k));
                }
                if (!actual.has(k)) {
                    return p + ": removed (input has " + shown(expected.get(k)) + ")";
                }
                String d = walk(p, expected.get(k), actual.get(k));
                if (d != null) {
                    return d;
                }
            }
        }
        if (expected.isArray() && actual.isArray()) {
            Iterator<JsonNode> e = expected.elements();
            Iterator<JsonNode> a = actual.elements();
            for (int i = 0; e.hasNext() && a.hasNext(); i++) {
                String d = walk(path + "[" + i + "]", e.next(), a.next());
                if (d != null) {
                    return d;
                }
            }
            return path + ": " + expected.size() + " elements in the input, " + actual.size() + " in the output";
        }
        return (path.isEmpty() ? "(root)" : path) + ": input " + shown(expected) + ", output " + shown(actual);
    }

    /** Null when equal; else the offset and line, and both sides from the start of that line. */
    static String of(byte[] expected, byte[] actual) {
        int n = Math.min(expected.length, actual.length);
        int i = 0;
        while (i < n && expected[i] == actual[i]) {
            i++;
        }
        if (i == n && expected.length == actual.length) {
            return null;
        }
        int line = 1;
        int lineStart = 0;
        for (int j = 0; j < i; j++) {
            if (expected[j] == '\n') {
                line++;
                lineStart = j + 1;
            }
        }
        return String.format(Locale.ROOT, "byte %d (line %d) of %d/%d: input %s, output %s", i, line, expected.length, actual.length,
                snippet(expected, lineStart, i), snippet(actual, lineStart, i));
    }

    private static String snippet(byte[] b, int from, int at) {
        if (from >= b.length) {
            return "<end>";
        }
        int to = Math.min(b.length, Math.max(at, from) + SHOWN);
        String s = new String(b, from, to - from, StandardCharsets.ISO_8859_1);
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format(Locale.ROOT, "\\x%02x", (int) c));
        }
        return out.append(to < b.length ? "...\"" : "\"").toString();
    }

    private static String shown(JsonNode n) {
        String s = n.toString();
        return s.length() > 2 * SHOWN ? s.substring(0, 2 * SHOWN) + "..." : s;
    }
}
