package io.sidecarinitializer.inject;

/** An object whose shape does not allow injection; the message names the object and the field. */
public class InjectionException extends RuntimeException {
    private final String field;

    public InjectionException(String message) {
        this("", message);
    }

    /** @param field dotted path of the offending field from the object's root, e.g. {@code spec.template.spec.containers[0]} */
    public InjectionException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** Dotted path of the offending field, or empty when the problem is the object as a whole. */
    public String field() {
        return field;
    }
}
