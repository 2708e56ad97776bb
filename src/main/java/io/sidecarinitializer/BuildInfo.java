package io.sidecarinitializer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** What Maven stamped into this build: our version and the Istio release the sidecar template follows. */
public final class BuildInfo {
    private static final Properties PROPS = load();

    private BuildInfo() {}

    public static String version() {
        return PROPS.getProperty("version", "unknown");
    }

    public static String istioVersion() {
        return PROPS.getProperty("istio.version", "unknown");
    }

    /** What {@code --version} prints. */
    public static String versionLine() {
        return "sidecar-initializer " + version() + " (istio " + istioVersion() + ")";
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read build.properties from the jar", e);
        }
        return p;
    }
}
