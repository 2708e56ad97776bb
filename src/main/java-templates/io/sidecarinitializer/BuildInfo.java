package io.sidecarinitializer;

/**
 * What Maven stamped into this build: our version and the Istio release the sidecar template follows. Compiled in
 * (templating-maven-plugin) rather than read from a resource: that read opened the jar, a tenth of a kube-inject run.
 */
public final class BuildInfo {
    private static final String VERSION = "${project.version}";
    private static final String ISTIO_VERSION = "${istio.version}";

    private BuildInfo() {}

    public static String version() {
        return VERSION;
    }

    public static String istioVersion() {
        return ISTIO_VERSION;
    }

    /** What {@code --version} prints. */
    public static String versionLine() {
        return "sidecar-initializer " + VERSION + " (istio " + ISTIO_VERSION + ")";
    }
}
