package io.sidecarinitializer.cluster;

import java.util.Locale;

/** How the controller finds work (SPEC §5). */
public enum Mode {
    /** Ask the API server: initializer mode when it serves InitializerConfigurations, reconcile mode otherwise. */
    AUTO,
    /** Kubernetes 1.7–1.13 with the Initializers alpha: initialize objects whose first pending initializer is ours. */
    INITIALIZER,
    /** Kubernetes 1.14+: inject into selected workloads that are not injected yet. */
    RECONCILE;

    /** The spelling of {@code --mode}: {@code auto}, {@code initializer}, {@code reconcile}. */
    public String flag() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Mode fromFlag(String text) {
        for (Mode m : values()) {
            if (m.flag().equalsIgnoreCase(text.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not one of auto, initializer, reconcile");
    }
}
