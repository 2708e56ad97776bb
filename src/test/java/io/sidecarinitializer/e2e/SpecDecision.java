package io.sidecarinitializer.e2e;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * SPEC §3 restated from the spec text as the tests' oracle (deliberately not the engine's code): what the
 * controller or kube-inject must decide for one workload in one namespace under one {@code config} document.
 * Rules 1-6 say whether the policy wants the sidecar; 7 (hostNetwork) and 8 (already injected) veto it
 * (README, "Decision order"). {@code reason} is the label the controller reports, e.g. {@code policy_enabled}.
 */
record SpecDecision(boolean inject, String reason) {
    private static final Set<String> SYSTEM_NAMESPACES = Set.of("kube-system", "kube-public", "istio-system");
    private static final Set<String> YES = Set.of("y", "yes", "true", "on");

    /** The parts of the {@code config} document the decision reads. */
    record Policy(String policy, List<String> namespaces, List<String> excludeNamespaces) {
        @SuppressWarnings("unchecked")
        static Policy of(String configDocument) {
            Map<String, Object> doc = (Map<String, Object>) new Yaml(new LoaderOptions()).load(configDocument);
            Object policy = doc.getOrDefault("policy", "enabled");
            return new Policy(
                    Boolean.FALSE.equals(policy) ? "off" : policy.toString(), // unquoted `off` is YAML false
                    (List<String>) doc.getOrDefault("namespaces", List.of("")),
                    (List<String>) doc.getOrDefault("excludeNamespaces", List.of()));
        }
    }

    static SpecDecision of(Policy config, String namespace, Map<String, Object> workload) {
        if (SYSTEM_NAMESPACES.contains(namespace)) {
            return skip("system_namespace");
        }
        if (config.excludeNamespaces().contains(namespace)) {
            return skip("excluded_namespace");
        }
        if (!config.namespaces().contains("") && !config.namespaces().contains(namespace)) {
            return skip("namespace_not_included");
        }
        if (config.policy().equals("off")) {
            return skip("policy_off");
        }
        // Rule 5: the pod template's annotation wins over the workload's.
        Map<String, Object> template = Tree.podTemplate(workload);
        String own = Tree.annotation(workload, Tree.INJECT_ANNOTATION);
        String onTemplate = Tree.annotation(template, Tree.INJECT_ANNOTATION);
        String wants;
        if (onTemplate != null) {
            boolean yes = YES.contains(onTemplate.toLowerCase(Locale.ROOT));
            String prefix = own != null && YES.contains(own.toLowerCase(Locale.ROOT)) != yes
                    ? "template_annotation_overrides_" : "template_annotation_";
            if (!yes) {
                return skip(prefix + "disabled");
            }
            wants = prefix + "enabled";
        } else if (own != null) {
            if (!YES.contains(own.toLowerCase(Locale.ROOT))) {
                return skip("annotation_disabled");
            }
            wants = "annotation_enabled";
        } else if (config.policy().equals("enabled")) {
            wants = "policy_enabled";
        } else {
            return skip("policy_disabled");
        }
        if (Boolean.TRUE.equals(Tree.at(template, "spec", "hostNetwork"))) {
            return skip("host_network");
        }
        if (Tree.annotation(workload, Tree.STATUS_ANNOTATION) != null || Tree.containerNames(template).contains("istio-proxy")) {
            return skip("already_injected");
        }
        return new SpecDecision(true, wants);
    }

    private static SpecDecision skip(String reason) {
        return new SpecDecision(false, reason);
    }
}
