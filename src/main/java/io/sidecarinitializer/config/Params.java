package io.sidecarinitializer.config;

/** Template parameters of the injected sidecar: the {@code params} block of the {@code istio-inject} config. */
public record Params(
        String initImage,
        String proxyImage,
        int verbosity,
        String version,
        String meshConfigMapName,
        ImagePullPolicy imagePullPolicy,
        long sidecarProxyUID,
        String includeIPRanges,
        boolean enableCoreDump,
        boolean debugMode) {}
