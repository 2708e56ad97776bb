package io.sidecarinitializer.config;

/**
 * The fields of the mesh ConfigMap ({@code mesh} key) the sidecar uses. Durations are nanoseconds and
 * are printed back Go-style with {@link GoDuration#format}.
 */
public record MeshConfig(
        int proxyListenPort,
        String configPath,
        String binaryPath,
        String serviceCluster,
        long drainDuration,
        long parentShutdownDuration,
        String discoveryAddress,
        long discoveryRefreshDelay,
        String zipkinAddress,
        long connectTimeout,
        String statsdUdpAddress,
        int proxyAdminPort,
        String controlPlaneAuthPolicy) {

    public static MeshConfig defaults() {
        return MeshConfigParser.parse("");
    }
}
