package io.sidecarinitializer.inject;

import java.util.Locale;

/** Why a workload was or was not injected; logged, sent as Events and printed by kube-inject. */
public enum Reason {
    SYSTEM_NAMESPACE(false, "namespace is kube-system, kube-public or istio-system"),
    EXCLUDED_NAMESPACE(false, "namespace is in excludeNamespaces"),
    NAMESPACE_NOT_INCLUDED(false, "namespace is not in namespaces"),
    POLICY_OFF(false, "policy is off"),
    ANNOTATION_ENABLED(true, "annotation sidecar.istio.io/inject is true"),
    ANNOTATION_DISABLED(false, "annotation sidecar.istio.io/inject is not true"),
    TEMPLATE_ANNOTATION_ENABLED(true, "pod template annotation sidecar.istio.io/inject is true"),
    TEMPLATE_ANNOTATION_DISABLED(false, "pod template annotation sidecar.istio.io/inject is not true"),
    TEMPLATE_ANNOTATION_OVERRIDES_ENABLED(true,
            "pod template annotation sidecar.istio.io/inject is true, which overrides the workload's own annotation"),
    TEMPLATE_ANNOTATION_OVERRIDES_DISABLED(false,
            "pod template annotation sidecar.istio.io/inject is not true, which overrides the workload's own annotation"),
    POLICY_ENABLED(true, "policy is enabled"),
    POLICY_DISABLED(false, "policy is disabled and the workload does not ask for injection"),
    HOST_NETWORK(false, "pod uses hostNetwork; iptables would rewrite the node's rules"),
    ALREADY_INJECTED(false, "already injected");

    private final boolean inject;
    private final String description;

    Reason(boolean inject, String description) {
        this.inject = inject;
        this.description = description;
    }

    public boolean inject() {
        return inject;
    }

    public String description() {
        return description;
    }

    /** Metric label and machine-readable form, e.g. {@code policy_enabled}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return description;
    }
}
