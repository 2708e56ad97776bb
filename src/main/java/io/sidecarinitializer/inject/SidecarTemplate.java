package io.sidecarinitializer.inject;

import io.sidecarinitializer.config.GoDuration;
import io.sidecarinitializer.config.InjectConfig;
import io.sidecarinitializer.config.MeshConfig;
import io.sidecarinitializer.config.Params;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SPEC §4: the init containers, proxy container and volumes a pod gets, rendered for one workload. Pure. */
public final class SidecarTemplate {
    public static final String INIT_CONTAINER = "istio-init";
    public static final String CORE_DUMP_CONTAINER = "enable-core-dump";
    public static final String ENVOY_VOLUME = "istio-envoy";
    public static final String CERTS_VOLUME = "istio-certs";
    public static final String CERTS_PATH = "/etc/certs/";

    private final Params params;
    private final MeshConfig mesh;

    public SidecarTemplate(InjectConfig config, MeshConfig mesh) {
        this.params = config.params();
        this.mesh = mesh;
    }

    /** What injection adds to this workload. Fails, naming the field, when a name we add is already taken. */
    public Injection render(Workload workload) {
        List<Map<String, Object>> inits = new ArrayList<>();
        inits.add(initContainer());
        if (params.enableCoreDump()) {
            inits.add(coreDumpContainer());
        }
        List<Map<String, Object>> containers = List.of(proxyContainer(workload));
        List<Map<String, Object>> volumes = List.of(envoyVolume(), certsVolume(workload));
        if (workload.podSpecList("containers").isEmpty()) {
            String field = workload.field("spec.containers");
            throw new InjectionException(field, workload.displayName() + ": " + field + " must list at least one container");
        }
        refuseTaken(workload, "initContainers", inits);
        refuseTaken(workload, "containers", containers);
        refuseTaken(workload, "volumes", volumes);
        return new Injection(workload, params.version(), inits, containers, volumes);
    }

    private static void refuseTaken(Workload workload, String list, List<Map<String, Object>> added) {
        for (Map<String, Object> existing : workload.podSpecList(list)) {
            for (Map<String, Object> item : added) {
                if (item.get("name").equals(existing.get("name"))) {
                    throw new InjectionException(workload.field("spec." + list), workload.displayName() + ": " + workload.field("spec." + list)
                            + " already has an entry named '" + item.get("name") + "', which the sidecar needs");
                }
            }
        }
    }

    private Map<String, Object> initContainer() {
        List<Object> args = new ArrayList<>(List.of("-p", String.valueOf(mesh.proxyListenPort()), "-u", String.valueOf(params.sidecarProxyUID())));
        if (!params.includeIPRanges().isEmpty()) {
            args.add("-i");
            args.add(params.includeIPRanges());
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", INIT_CONTAINER);
        c.put("image", params.initImage());
        c.put("args", args);
        c.put("imagePullPolicy", params.imagePullPolicy().name());
        Map<String, Object> caps = new LinkedHashMap<>();
        caps.put("add", new ArrayList<>(List.of("NET_ADMIN")));
        Map<String, Object> security = new LinkedHashMap<>();
        security.put("capabilities", caps);
        security.put("privileged", true);
        c.put("securityContext", security);
        return c;
    }

    private Map<String, Object> coreDumpContainer() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", CORE_DUMP_CONTAINER);
        c.put("image", "alpine");
        c.put("command", new ArrayList<>(List.of("/bin/sh")));
        c.put("args", new ArrayList<>(List.of("-c",
                "sysctl -w kernel.core_pattern=" + mesh.configPath() + "/core.%e.%p.%t && ulimit -c unlimited")));
        c.put("imagePullPolicy", params.imagePullPolicy().name());
        Map<String, Object> security = new LinkedHashMap<>();
        security.put("privileged", true);
        c.put("securityContext", security);
        return c;
    }

    private Map<String, Object> proxyContainer(Workload workload) {
        Object app = workload.templateLabels().get("app");
        String serviceCluster = app == null || String.valueOf(app).isEmpty() ? mesh.serviceCluster() : String.valueOf(app);
        List<Object> args = new ArrayList<>(List.of("proxy", "sidecar"));
        if (params.verbosity() > 0) {
            args.add("-v");
            args.add(String.valueOf(params.verbosity()));
        }
        addFlag(args, "--configPath", mesh.configPath());
        addFlag(args, "--binaryPath", mesh.binaryPath());
        addFlag(args, "--serviceCluster", serviceCluster);
        addFlag(args, "--drainDuration", GoDuration.format(mesh.drainDuration()));
        addFlag(args, "--parentShutdownDuration", GoDuration.format(mesh.parentShutdownDuration()));
        addFlag(args, "--discoveryAddress", mesh.discoveryAddress());
        addFlag(args, "--discoveryRefreshDelay", GoDuration.format(mesh.discoveryRefreshDelay()));
        addFlag(args, "--zipkinAddress", mesh.zipkinAddress());
        addFlag(args, "--connectTimeout", GoDuration.format(mesh.connectTimeout()));
        addFlag(args, "--statsdUdpAddress", mesh.statsdUdpAddress());
        addFlag(args, "--proxyAdminPort", String.valueOf(mesh.proxyAdminPort()));
        addFlag(args, "--controlPlaneAuthPolicy", mesh.controlPlaneAuthPolicy());

        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", InjectionDecision.PROXY_CONTAINER);
        c.put("image", params.proxyImage());
        c.put("args", args);
        c.put("env", new ArrayList<>(List.of(
                fieldEnv("POD_NAME", "metadata.name"),
                fieldEnv("POD_NAMESPACE", "metadata.namespace"),
                fieldEnv("INSTANCE_IP", "status.podIP"))));
        c.put("imagePullPolicy", params.imagePullPolicy().name());
        Map<String, Object> security = new LinkedHashMap<>();
        security.put("runAsUser", params.sidecarProxyUID());
        security.put("readOnlyRootFilesystem", !params.debugMode());
        security.put("privileged", params.debugMode());
        c.put("securityContext", security);
        c.put("volumeMounts", new ArrayList<>(List.of(
                mount(ENVOY_VOLUME, mesh.configPath(), false),
                mount(CERTS_VOLUME, CERTS_PATH, true))));
        return c;
    }

    private static void addFlag(List<Object> args, String flag, String value) {
        args.add(flag);
        args.add(value);
    }

    private static Map<String, Object> fieldEnv(String name, String fieldPath) {
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("apiVersion", "v1");
        ref.put("fieldPath", fieldPath);
        Map<String, Object> from = new LinkedHashMap<>();
        from.put("fieldRef", ref);
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("name", name);
        env.put("valueFrom", from);
        return env;
    }

    private static Map<String, Object> mount(String name, String path, boolean readOnly) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mountPath", path);
        m.put("name", name);
        if (readOnly) {
            m.put("readOnly", true);
        }
        return m;
    }

    private static Map<String, Object> envoyVolume() {
        Map<String, Object> emptyDir = new LinkedHashMap<>();
        emptyDir.put("medium", "Memory");
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", ENVOY_VOLUME);
        v.put("emptyDir", emptyDir);
        return v;
    }

    private static Map<String, Object> certsVolume(Workload workload) {
        Map<String, Object> spec = workload.podSpec();
        Object account = spec.get("serviceAccountName");
        if (account == null || String.valueOf(account).isEmpty()) {
            account = spec.get("serviceAccount"); // the deprecated spelling still works on every API server
        }
        String sa = account == null || String.valueOf(account).isEmpty() ? "default" : String.valueOf(account);
        Map<String, Object> secret = new LinkedHashMap<>();
        secret.put("secretName", "istio." + sa);
        secret.put("optional", true);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", CERTS_VOLUME);
        v.put("secret", secret);
        return v;
    }
}
