package io.sidecarinitializer.config;

/** A configuration document that cannot be used; the message names the field and the bad value. */
public class ConfigException extends RuntimeException {
    private final String field;

    public ConfigException(String field, String message) {
        super(field.isEmpty() ? message : field + ": " + message);
        this.field = field;
    }

    /** Dotted path of the offending field, e.g. {@code params.imagePullPolicy}; empty for the document itself. */
    public String field() {
        return field;
    }
}
