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
        Reason wanted = wanted(config.policy(), workload);
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

    /**
     * Rules 5 and 6. The annotation counts on the workload and on its pod template; when both are set and
     * mean different things the template's wins, since it is what the pods carry.
     */
    private static Reason wanted(Policy policy, Workload workload) {
        Map<String, Object> own = workload.annotations();
        Map<String, Object> template = workload.kind().templatePath().isEmpty() ? Map.of() : workload.templateAnnotations();
        if (template.containsKey(INJECT_ANNOTATION)) {
            boolean yes = saysYes(template.get(INJECT_ANNOTATION));
            if (own.containsKey(INJECT_ANNOTATION) && saysYes(own.get(INJECT_ANNOTATION)) != yes) {
                return yes ? Reason.TEMPLATE_ANNOTATION_OVERRIDES_ENABLED : Reason.TEMPLATE_ANNOTATION_OVERRIDES_DISABLED;
            }
            return yes ? Reason.TEMPLATE_ANNOTATION_ENABLED : Reason.TEMPLATE_ANNOTATION_DISABLED;
        }
        if (own.containsKey(INJECT_ANNOTATION)) {
            return saysYes(own.get(INJECT_ANNOTATION)) ? Reason.ANNOTATION_ENABLED : Reason.ANNOTATION_DISABLED;
        }
        return policy == Policy.ENABLED ? Reason.POLICY_ENABLED : Reason.POLICY_DISABLED;
    }

    private static boolean saysYes(Object value) {
        // YAML may hand us a Boolean for an unquoted `true`/`yes`/`on`; a padded " true " is "any other value".
        String text = value == null ? "" : String.valueOf(value).toLowerCase(Locale.ROOT);
        return YES.contains(text);
    }

    /** A status annotation on the object or its template, or a proxy container, marks an injected workload. */
    public static boolean isInjected(Workload workload) {
        if (workload.annotations().containsKey(STATUS_ANNOTATION) || workload.templateAnnotations().containsKey(STATUS_ANNOTATION)) {
            return true;
        }
        return workload.podSpecList("containers").stream().anyMatch(c -> PROXY_CONTAINER.equals(c.get("name")));
    }
}
