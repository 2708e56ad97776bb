package io.sidecarinitializer.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * Everything the {@code controller} command's flags set, for {@link SidecarController#start}. The one flag
 * not here, {@code --log-format}, configures the process rather than a controller: see {@link LogFormat#apply}.
 *
 * @param mode            {@code --mode}
 * @param configNamespace {@code --config-namespace}: where the ConfigMaps and the Lease live
 * @param configMapName   {@code --config-map}: the ConfigMap holding the {@code config} document
 * @param allKinds        {@code --all-kinds}: also ReplicaSets, ReplicationControllers and CronJobs
 * @param httpPort        {@code --http-port}: /metrics, /healthz, /readyz; 0 picks a free port, -1 serves nothing
 * @param leaderElection  {@code --leader-election}
 * @param leaseName       {@code --lease-name}
 * @param identity        {@code --identity}: this replica's name in the Lease and in Events
 */
public record ControllerOptions(
        Mode mode,
        String configNamespace,
        String configMapName,
        boolean allKinds,
        int httpPort,
        boolean leaderElection,
        String leaseName,
        String identity) {

    public static final String DEFAULT_CONFIG_NAMESPACE = "istio-system";
    public static final String DEFAULT_CONFIG_MAP = "istio-inject";
    public static final String DEFAULT_LEASE_NAME = "sidecar-initializer";
    public static final int DEFAULT_HTTP_PORT = 8080;
    /** {@link #httpPort} value that turns the HTTP endpoint off. */
    public static final int NO_HTTP = -1;

    public ControllerOptions {
        Objects.requireNonNull(mode, "mode");
        requireText(configNamespace, "configNamespace");
        requireText(configMapName, "configMapName");
        requireText(leaseName, "leaseName");
        requireText(identity, "identity");
        if (httpPort < NO_HTTP || httpPort > 65535) {
            throw new IllegalArgumentException("httpPort must be -1 (off), 0 (any free port) or 1..65535, got " + httpPort);
        }
    }

    /** The command's defaults: auto mode, istio-system/istio-inject, port 8080, leader election on. */
    public static ControllerOptions defaults() {
        return new ControllerOptions(Mode.AUTO, DEFAULT_CONFIG_NAMESPACE, DEFAULT_CONFIG_MAP, false,
                DEFAULT_HTTP_PORT, true, DEFAULT_LEASE_NAME, defaultIdentity());
    }

    /** {@code $POD_NAME}, else the host name, else a fixed word. */
    public static String defaultIdentity() {
        String pod = System.getenv("POD_NAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        String host = System.getenv("HOSTNAME");
        if (host != null && !host.isBlank()) {
            return host;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "sidecar-initializer";
        }
    }

    public ControllerOptions withMode(Mode value) {
        return new ControllerOptions(value, configNamespace, configMapName, allKinds, httpPort, leaderElection, leaseName, identity);
    }

    public ControllerOptions withConfigNamespace(String value) {
        return new ControllerOptions(mode, value, configMapName, allKinds, httpPort, leaderElection, leaseName, identity);
    }

    public ControllerOptions withConfigMapName(String value) {
        return new ControllerOptions(mode, configNamespace, value, allKinds, httpPort, leaderElection, leaseName, identity);
    }

    public ControllerOptions withAllKinds(boolean value) {
        return new ControllerOptions(mode, configNamespace, configMapName, value, httpPort, leaderElection, leaseName, identity);
    }

    public ControllerOptions withHttpPort(int value) {
        return new ControllerOptions(mode, configNamespace, configMapName, allKinds, value, leaderElection, leaseName, identity);
    }

    public ControllerOptions withLeaderElection(boolean value) {
        return new ControllerOptions(mode, configNamespace, configMapName, allKinds, httpPort, value, leaseName, identity);
    }

    public ControllerOptions withLeaseName(String value) {
        return new ControllerOptions(mode, configNamespace, configMapName, allKinds, httpPort, leaderElection, value, identity);
    }

    public ControllerOptions withIdentity(String value) {
        return new ControllerOptions(mode, configNamespace, configMapName, allKinds, httpPort, leaderElection, leaseName, value);
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
    }
}
