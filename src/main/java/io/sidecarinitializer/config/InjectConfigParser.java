package io.sidecarinitializer.config;

import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.yaml.KubeYaml;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.YAMLException;

/** Reads and validates the {@code config} document of the {@code istio-inject} ConfigMap (SPEC §2). */
public final class InjectConfigParser {
    /** Namespaces we never touch, whatever the lists or annotations say. */
    public static final Set<String> SYSTEM_NAMESPACES = Set.of("kube-system", "kube-public", "istio-system");

    private static final Set<String> TOP_FIELDS = Set.of("policy", "namespaces", "excludeNamespaces", "initializerName", "params");
    private static final Set<String> PARAM_FIELDS = Set.of("initImage", "proxyImage", "verbosity", "version",
            "meshConfigMapName", "imagePullPolicy", "sidecarProxyUID", "includeIPRanges", "enableCoreDump", "debugMode");
    private static final Pattern CIDR = Pattern.compile(
            "(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)/(?:3[0-2]|[12]?\\d)"
                    + "|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*/(?:12[0-8]|1[01]\\d|[1-9]?\\d)");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    private InjectConfigParser() {}

    /** Parses YAML text; empty text gives every default. */
    public static InjectConfig parse(String yamlText) {
        Object doc;
        try {
            doc = new KubeYaml().load(yamlText == null ? "" : yamlText);
        } catch (YAMLException e) {
            throw new ConfigException("", "not valid YAML: " + e.getMessage());
        }
        if (doc == null) {
            return fromMap(Map.of());
        }
        if (!(doc instanceof Map<?, ?>)) {
            throw new ConfigException("", "expected a mapping with policy, namespaces, params, got " + FieldReader.describe(doc));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) doc;
        return fromMap(map);
    }

    /** Validates an already-parsed document. */
    public static InjectConfig fromMap(Map<String, Object> map) {
        FieldReader top = new FieldReader(map, "");
        top.onlyKnown(TOP_FIELDS);

        // YAML 1.1 reads an unquoted `policy: off` as the boolean false; the operator meant the policy.
        Policy policy = Boolean.FALSE.equals(map.get("policy")) ? Policy.OFF : parsePolicy(top.string("policy", "enabled"));
        List<String> namespaces = top.stringList("namespaces", List.of(""));
        List<String> excludes = top.stringList("excludeNamespaces", List.of());
        validateNamespaces(namespaces, excludes);
        String initializerName = top.nonEmptyString("initializerName", InjectConfig.DEFAULT_INITIALIZER_NAME);

        FieldReader p = top.child("params");
        p.onlyKnown(PARAM_FIELDS);
        String istio = BuildInfo.istioVersion();
        Params params = new Params(
                p.nonEmptyString("initImage", "docker.io/istio/proxy_init:" + istio),
                p.nonEmptyString("proxyImage", "docker.io/istio/proxy:" + istio),
                (int) p.integer("verbosity", 2, 0, 10),
                p.nonEmptyString("version", BuildInfo.version()),
                p.nonEmptyString("meshConfigMapName", "istio"),
                parsePullPolicy(p.path("imagePullPolicy"), p.string("imagePullPolicy", "IfNotPresent")),
                p.integer("sidecarProxyUID", 1337, 0, Integer.MAX_VALUE),
                parseIpRanges(p.path("includeIPRanges"), p.string("includeIPRanges", "")),
                p.bool("enableCoreDump", false),
                p.bool("debugMode", false));
        return new InjectConfig(policy, namespaces, excludes, initializerName, params);
    }

    private static Policy parsePolicy(String text) {
        for (Policy p : Policy.values()) {
            if (p.yamlName().equals(text)) {
                return p;
            }
        }
        throw new ConfigException("policy", "'" + text + "' is not one of enabled, disabled, off");
    }

    private static void validateNamespaces(List<String> namespaces, List<String> excludes) {
        if (excludes.contains("")) {
            throw new ConfigException("excludeNamespaces", "'' (all namespaces) cannot be excluded; use policy: off instead");
        }
        boolean allNamespaces = namespaces.size() == 1 && namespaces.get(0).isEmpty();
        if (!excludes.isEmpty() && !allNamespaces) {
            throw new ConfigException("excludeNamespaces",
                    "cannot be combined with namespaces " + namespaces + "; list either the namespaces to act on or those to leave alone");
        }
        checkNames("namespaces", namespaces);
        checkNames("excludeNamespaces", excludes);
    }

    private static void checkNames(String field, List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            if (!n.isEmpty() && (n.length() > 63 || !DNS_LABEL.matcher(n).matches())) {
                throw new ConfigException(field + "[" + i + "]", "'" + n + "' is not a valid namespace name");
            }
        }
    }

    private static ImagePullPolicy parsePullPolicy(String field, String text) {
        for (ImagePullPolicy p : ImagePullPolicy.values()) {
            if (p.name().equals(text)) {
                return p;
            }
        }
        throw new ConfigException(field, "'" + text + "' is not one of Always, IfNotPresent, Never");
    }

    /** Validates a comma-separated CIDR list and normalises its spacing; empty means "redirect everything". */
    public static String parseIpRanges(String field, String text) {
        if (text.isBlank() || text.trim().equals("*")) {
            return text.trim();
        }
        StringBuilder out = new StringBuilder();
        for (String part : text.split(",", -1)) {
            String cidr = part.trim();
            if (!CIDR.matcher(cidr).matches()) {
                throw new ConfigException(field, "'" + cidr + "' is not a CIDR such as 10.0.0.0/8");
            }
            out.append(out.isEmpty() ? "" : ",").append(cidr);
        }
        return out.toString();
    }
}
