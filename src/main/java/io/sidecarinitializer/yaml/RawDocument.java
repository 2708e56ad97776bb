package io.sidecarinitializer.yaml;

/**
 * One document of a YAML stream exactly as written: the separator line that opened it (empty for the
 * first document when it has none) and its text, so a document we leave alone is written back byte for byte.
 *
 * @param number    1-based position in the stream
 * @param firstLine 1-based line of the stream on which {@code body} starts
 */
public record RawDocument(int number, int firstLine, String separator, String body) {

    /** True when the document holds nothing but blank lines and comments. */
    public boolean isBlank() {
        for (String line : body.split("\n", -1)) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#") && !t.equals("...")) {
                return false;
            }
        }
        return true;
    }

    /** The original text, separator included. */
    public String text() {
        return separator + body;
    }
}
