package io.sidecarinitializer.kubeinject;

/** Input kube-inject cannot use; the message names the file, the document and the line. */
public class ManifestException extends Exception {
    public ManifestException(String source, int document, int line, String problem) {
        this(source, document, line, 0, problem);
    }

    /** @param column 1-based, or 0 when unknown */
    public ManifestException(String source, int document, int line, int column, String problem) {
        super(source + ": document " + document + ", line " + line + (column > 0 ? ", column " + column : "") + ": " + problem);
    }

    public ManifestException(String message) {
        super(message);
    }
}
