package io.sidecarinitializer.config;

/** The global injection policy (SPEC §2, §3). */
public enum Policy {
    /** Inject unless the workload says {@code sidecar.istio.io/inject: "false"}. */
    ENABLED,
    /** Inject only where the workload asks for it. */
    DISABLED,
    /** Never inject; pending initializer entries are still removed. */
    OFF;

    public String yamlName() {
        return name().toLowerCase();
    }
}
