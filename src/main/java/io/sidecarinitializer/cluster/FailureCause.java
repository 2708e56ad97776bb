package io.sidecarinitializer.cluster;

import java.util.Locale;

/** Why an injection did not happen although nothing in the policy said skip. */
public enum FailureCause {
    /** No valid istio-inject/mesh configuration has been loaded yet. */
    CONFIG("no valid configuration is loaded"),
    /** The object cannot be read as a workload (its pod template is missing or malformed). */
    UNREADABLE("the object cannot be read as a workload"),
    /** The engine refused the object (for example a name the sidecar needs is taken). */
    INJECTION("the sidecar cannot be added"),
    /** The API server rejected the injected object. */
    REJECTED("the API server rejected the injected object"),
    /** Reconcile mode only: a Job's pod template cannot change after creation. */
    JOB_TEMPLATE_IMMUTABLE("a Job's pod template is immutable after creation");

    private final String description;

    FailureCause(String description) {
        this.description = description;
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    String description() {
        return description;
    }
}
