package io.sidecarinitializer.inject;

import io.sidecarinitializer.config.InjectConfig;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.Policy;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** SPEC §3: whether a workload gets the sidecar, and why. Pure; no I/O. */
public final class InjectionDecision {
    public static final String INJECT_ANNOTATION = "sidecar.istio.io/inject";
    public static final String STATUS_ANNOTATION = "sidecar.istio.io/status";
    public static final String PROXY_CONTAINER = "istio-proxy";

    private static final Set<String> YES = Set.of("y", "yes", "true", "on");

    private InjectionDecision() {}

    public static Reason decide(InjectConfig config, Workload workload) {
        String ns = workload.namespace();
        if (InjectConfigParser.SYSTEM_NAMESPACES.contains(ns)) {
            return Reason.SYSTEM_NAMESPACE;
        }
        if (config.excludeNamespaces().contains(ns)) {
            return Reason.EXCLUDED_NAMESPACE;
        }
        if (!config.allNamespaces() && !config.namespaces().contains(ns)) {
            return Reason.NAMESPACE_NOT_INCLUDED;
        }
        if (config.policy() == Policy.OFF) {
            return Reason.POLICY_OFF;
        }
        Reason wanted = wanted(config.policy(), workload.annotations());
        if (!wanted.inject()) {
            return wanted;
        }
        // The remaining rules veto an injection the policy asked for.
        if (workload.hostNetwork()) {
            return Reason.HOST_NETWORK;
        }
        if (isInjected(workload)) {
            return Reason.ALREADY_INJECTED;
        }
        return wanted;
    }

    private static Reason wanted(Policy policy, Map<String, Object> annotations) {
        if (annotations.containsKey(INJECT_ANNOTATION)) {
            Object value = annotations.get(INJECT_ANNOTATION);
            // YAML may hand us a Boolean for an unquoted `true`/`yes`/`on`; a padded " true " is "any other value".
            String text = value == null ? "" : String.valueOf(value).toLowerCase(Locale.ROOT);
            return YES.contains(text) ? Reason.ANNOTATION_ENABLED : Reason.ANNOTATION_DISABLED;
        }
        return policy == Policy.ENABLED ? Reason.POLICY_ENABLED : Reason.POLICY_DISABLED;
    }

    /** A status annotation on the object or its template, or a proxy container, marks an injected workload. */
    public static boolean isInjected(Workload workload) {
        if (workload.annotations().containsKey(STATUS_ANNOTATION) || workload.templateAnnotations().containsKey(STATUS_ANNOTATION)) {
            return true;
        }
        return workload.podSpecList("containers").stream().anyMatch(c -> PROXY_CONTAINER.equals(c.get("name")));
    }
}
