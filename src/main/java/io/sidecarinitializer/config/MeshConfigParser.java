package io.sidecarinitializer.config;

import io.sidecarinitializer.yaml.KubeYaml;
import java.util.Map;
import org.yaml.snakeyaml.error.YAMLException;

/** Reads the {@code mesh} document of the mesh ConfigMap; fields we do not use are accepted and ignored. */
public final class MeshConfigParser {
    private MeshConfigParser() {}

    public static MeshConfig parse(String yamlText) {
        Object doc;
        try {
            doc = new KubeYaml().load(yamlText == null ? "" : yamlText);
        } catch (YAMLException e) {
            throw new ConfigException("", "not valid YAML: " + e.getMessage());
        }
        if (doc != null && !(doc instanceof Map<?, ?>)) {
            throw new ConfigException("", "expected a mapping with proxyListenPort and defaultConfig, got " + FieldReader.describe(doc));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = doc == null ? Map.of() : (Map<String, Object>) doc;
        FieldReader top = new FieldReader(map, "", true); // Istio reads mesh config as proto JSON: "15010" is a number
        FieldReader d = top.child("defaultConfig");
        String authPolicy = d.nonEmptyString("controlPlaneAuthPolicy", "NONE");
        if (!authPolicy.equals("NONE") && !authPolicy.equals("MUTUAL_TLS")) {
            throw new ConfigException(d.path("controlPlaneAuthPolicy"), "'" + authPolicy + "' is not one of NONE, MUTUAL_TLS");
        }
        return new MeshConfig(
                (int) top.integer("proxyListenPort", 15001, 1, 65535),
                d.nonEmptyString("configPath", "/etc/istio/proxy"),
                d.nonEmptyString("binaryPath", "/usr/local/bin/envoy"),
                d.nonEmptyString("serviceCluster", "istio-proxy"),
                duration(d, "drainDuration", "2s"),
                duration(d, "parentShutdownDuration", "3s"),
                d.nonEmptyString("discoveryAddress", "istio-pilot:15003"),
                duration(d, "discoveryRefreshDelay", "1s"),
                d.string("zipkinAddress", ""),
                duration(d, "connectTimeout", "1s"),
                d.string("statsdUdpAddress", ""),
                (int) d.integer("proxyAdminPort", 15000, 1, 65535),
                authPolicy);
    }

    private static long duration(FieldReader r, String key, String fallback) {
        String text = r.string(key, fallback);
        Long nanos = GoDuration.parse(text);
        if (nanos == null || nanos < 0) {
            throw new ConfigException(r.path(key), "'" + text + "' is not a duration such as 2s, 1m30s or 500ms");
        }
        return nanos;
    }
}
