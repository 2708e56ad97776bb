package io.sidecarinitializer.cli;

import io.sidecarinitializer.BuildInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "version", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Print this build's version and the Istio release its sidecar template follows.")
final class VersionCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("sidecar-initializer " + BuildInfo.version());
        System.out.println("istio proxy " + BuildInfo.istioVersion());
        return 0;
    }
}
