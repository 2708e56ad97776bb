package io.sidecarinitializer.bench;

import io.sidecarinitializer.yaml.KubeYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JVM settings the controller runs with in a cluster, read from {@code manifests/reconcile/deployment.yaml} so that the
 * benchmark measures the Deployment as shipped: the container's memory limit (as {@code -XX:MaxRAM}, which is what
 * the JVM sees in a container), its {@code JAVA_TOOL_OPTIONS}, and the rest of its plain environment.
 */
record ProductionJvm(List<String> flags, Map<String, String> env) {
    static final Path DEPLOYMENT = Path.of("manifests", "reconcile", "deployment.yaml");

    static ProductionJvm fromDeployment() throws IOException {
        return fromDeployment(DEPLOYMENT);
    }

    /** The same for another Deployment of ours, e.g. the webhook's (manifests/webhook/deployment.yaml). */
    @SuppressWarnings("unchecked")
    static ProductionJvm fromDeployment(Path file) throws IOException {
        Map<String, Object> deployment = (Map<String, Object>) new KubeYaml().load(Files.readString(file));
        Map<String, Object> container = ((List<Map<String, Object>>) path(file, deployment, "spec", "template", "spec", "containers")).get(0);
        List<String> flags = new ArrayList<>();
        String limit = (String) path(file, container, "resources", "limits", "memory");
        if (!limit.endsWith("Mi")) {
            throw new IllegalStateException(file + ": expected the memory limit in Mi, got " + limit);
        }
        flags.add("-XX:MaxRAM=" + limit.substring(0, limit.length() - 2) + "m");
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> var : (List<Map<String, Object>>) container.get("env")) {
            Object value = var.get("value");
            if ("JAVA_TOOL_OPTIONS".equals(var.get("name"))) {
                flags.addAll(List.of(((String) value).trim().split("\\s+")));
            } else if (value != null) {
                env.put((String) var.get("name"), (String) value);
            }
        }
        return new ProductionJvm(List.copyOf(flags), Map.copyOf(env));
    }

    @SuppressWarnings("unchecked")
    private static Object path(Path file, Map<String, Object> map, String... keys) {
        Object node = map;
        for (String key : keys) {
            node = ((Map<String, Object>) node).get(key);
            if (node == null) {
                throw new IllegalStateException(file + ": no " + String.join(".", keys));
            }
        }
        return node;
    }
}
