package io.sidecarinitializer.cluster;

/** The controller cannot start; the message says what to fix (unreachable API server, a missing permission). */
public class StartupException extends RuntimeException {
    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
