package io.sidecarinitializer.cli;

/** Input kube-inject cannot use; the message names the file, the document and the line. */
public class ManifestException extends Exception {
    public ManifestException(String source, int document, int line, String problem) {
        super(source + ": document " + document + ", line " + line + ": " + problem);
    }

    public ManifestException(String message) {
        super(message);
    }
}
