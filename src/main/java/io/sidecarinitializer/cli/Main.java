package io.sidecarinitializer.cli;

import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.kubeinject.KubeInjectCommandLine;
import io.sidecarinitializer.kubeinject.KubeInjectMain;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The single executable: {@code java -jar sidecar-initializer.jar <command>}. */
@Command(name = "sidecar-initializer",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Injects the Istio sidecar (istio-init + istio-proxy) into Kubernetes workloads.")
public final class Main implements Runnable {
    /** The subcommands, in the order the usage help lists them (added by {@link #commandLine}, not by annotation). */
    private static final List<String> SUBCOMMANDS = List.of(KubeInjectCommandLine.NAME, "controller", "webhook", "version", "help");

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
        if (args.length > 0 && args[0].equals(KubeInjectCommandLine.NAME)) {
            // kube-inject's own entry point: its run is mostly start-up, and this tree's annotations would double it.
            return KubeInjectMain.run(Arrays.copyOfRange(args, 1, args.length));
        }
        return commandLine(CommandLine.defaultFactory(), args).execute(args);
    }

    /**
     * The command tree for these arguments. Picocli reflects over every annotated command it is given, and the
     * controller's options pull in the Kubernetes client's classes, so a run that names its subcommand first gets only
     * that one; anything else (help, no or an unknown command) gets them all.
     */
    static CommandLine commandLine(CommandLine.IFactory factory, String... args) {
        CommandLine root = new CommandLine(new Main(), factory);
        // `help NAME` describes another command, so only a run of a command itself gets that one alone.
        String only = args.length > 0 && !args[0].equals("help") ? args[0] : null;
        boolean known = only != null && SUBCOMMANDS.contains(only);
        for (String name : SUBCOMMANDS) {
            if (!known || name.equals(only)) {
                root.addSubcommand(name, subcommand(name, factory));
            }
        }
        return root;
    }

    private static CommandLine subcommand(String name, CommandLine.IFactory factory) {
        if (name.equals(KubeInjectCommandLine.NAME)) {
            return new CommandLine(KubeInjectCommandLine.spec());
        }
        Class<?> type = switch (name) {
            case "controller" -> ControllerCommand.class;
            case "webhook" -> WebhookCommand.class;
            case "version" -> VersionCommand.class;
            case "help" -> CommandLine.HelpCommand.class;
            default -> throw new IllegalArgumentException("no command " + name);
        };
        try {
            return new CommandLine(factory.create(type), factory);
        } catch (Exception e) {
            throw new CommandLine.InitializationException("cannot create the " + name + " command", e);
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.versionLine()};
        }
    }
}
