package io.sidecarinitializer.kubeinject;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.yaml.KubeYaml;
import java.util.List;
import java.util.Map;

/** Reads back the pod spec of the one injected workload in kube-inject's output, for assertions on single fields. */
@SuppressWarnings("unchecked")
record InjectedPod(Map<String, Object> workload, Map<String, Object> spec) {

    static InjectedPod in(String output) {
        List<Map<String, Object>> injected = new KubeYaml().loadAll(output).stream()
                .filter(d -> d instanceof Map<?, ?>)
                .map(d -> (Map<String, Object>) d)
                .filter(d -> d.get("metadata") instanceof Map<?, ?> m && m.get("annotations") instanceof Map<?, ?> a
                        && a.containsKey("sidecar.istio.io/status"))
                .toList();
        assertThat(injected).as("injected workloads in:%n%s", output).hasSize(1);
        Map<String, Object> workload = injected.get(0);
        Map<String, Object> template = "Pod".equals(workload.get("kind")) ? workload
                : "CronJob".equals(workload.get("kind"))
                        ? map(map(map(map(workload, "spec"), "jobTemplate"), "spec"), "template")
                        : map(map(workload, "spec"), "template");
        return new InjectedPod(workload, map(template, "spec"));
    }

    Map<String, Object> container(String name) {
        return named("containers", name);
    }

    Map<String, Object> initContainer(String name) {
        return named("initContainers", name);
    }

    Map<String, Object> volume(String name) {
        return named("volumes", name);
    }

    List<String> names(String list) {
        return ((List<Map<String, Object>>) spec.get(list)).stream().map(c -> (String) c.get("name")).toList();
    }

    List<String> proxyArgs() {
        return (List<String>) container("istio-proxy").get("args");
    }

    List<String> initArgs() {
        return (List<String>) initContainer("istio-init").get("args");
    }

    /** The value following {@code flag} in the proxy's args. */
    String proxyFlag(String flag) {
        List<String> args = proxyArgs();
        int at = args.indexOf(flag);
        assertThat(at).as("%s in %s", flag, args).isNotNegative();
        return args.get(at + 1);
    }

    Map<String, Object> securityContext(String container) {
        return map(container(container), "securityContext");
    }

    String status() {
        return (String) map(map(workload, "metadata"), "annotations").get("sidecar.istio.io/status");
    }

    private Map<String, Object> named(String list, String name) {
        return ((List<Map<String, Object>>) spec.get(list)).stream().filter(c -> name.equals(c.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + list + " of " + spec));
    }

    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object v = parent.get(key);
        assertThat(v).as("%s in %s", key, parent.keySet()).isInstanceOf(Map.class);
        return (Map<String, Object>) v;
    }
}
