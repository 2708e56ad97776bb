package io.sidecarinitializer.config;

import java.util.List;

/** The validated {@code config} document of the {@code istio-inject} ConfigMap (SPEC §2). */
public record InjectConfig(
        Policy policy,
        List<String> namespaces,
        List<String> excludeNamespaces,
        String initializerName,
        Params params) {

    public static final String DEFAULT_INITIALIZER_NAME = "sidecar.initializer.istio.io";

    /** Every field at its SPEC default. */
    public static InjectConfig defaults() {
        return InjectConfigParser.parse("");
    }

    public boolean allNamespaces() {
        return namespaces.contains("");
    }
}
