package io.sidecarinitializer.inject;

/** An object whose shape does not allow injection; the message names the object and the field. */
public class InjectionException extends RuntimeException {
    public InjectionException(String message) {
        super(message);
    }
}
