package io.sidecarinitializer.cli;

import io.sidecarinitializer.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The single executable: {@code java -jar sidecar-initializer.jar <command>}. */
@Command(name = "sidecar-initializer",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Injects the Istio sidecar (istio-init + istio-proxy) into Kubernetes workloads.",
        subcommands = {KubeInjectCommand.class, ControllerCommand.class, WebhookCommand.class, VersionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for input or configuration we cannot use. */
    public static final int EXIT_BAD_INPUT = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        asyncPoolOfAtLeastTwo();
        System.exit(run(args));
    }

    /**
     * With one or two CPUs the common fork-join pool gets a parallelism of 1, and then every asynchronous step of a
     * CompletableFuture without an executor (the Kubernetes client has many) starts a thread of its own: one or more
     * per API request. A parallelism of 2 keeps them on the pool. An explicit setting is left alone.
     */
    static void asyncPoolOfAtLeastTwo() {
        String property = "java.util.concurrent.ForkJoinPool.common.parallelism";
        if (System.getProperty(property) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(property, "2");
        }
    }

    /** Runs a command line and returns its exit status (0 ok, 1 bad input, 2 usage). */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"sidecar-initializer " + BuildInfo.version() + " (istio " + BuildInfo.istioVersion() + ")"};
        }
    }
}
