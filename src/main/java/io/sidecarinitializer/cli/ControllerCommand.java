package io.sidecarinitializer.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.sidecarinitializer.cluster.ControllerOptions;
import io.sidecarinitializer.cluster.LogFormat;
import io.sidecarinitializer.cluster.Mode;
import io.sidecarinitializer.cluster.SidecarController;
import io.sidecarinitializer.cluster.StartupException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** SPEC §5: the initializer controller, as a long-running process in the cluster. */
@Command(name = "controller", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run the sidecar initializer controller: inject the Istio sidecar into Deployments, StatefulSets, Jobs and "
                    + "DaemonSets as they are created (Initializers, Kubernetes 1.7-1.13) or into existing workloads (1.14+).",
            "Connects like kubectl: KUBECONFIG, ~/.kube/config, or the in-cluster service account."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:stopped by a signal",
            "1:cannot start (API server unreachable, a permission missing) or lost the leader Lease",
            "2:usage error"})
final class ControllerCommand implements Callable<Integer> {

    @Option(names = "--mode", defaultValue = "auto", paramLabel = "auto|initializer|reconcile", converter = ModeConverter.class,
            description = "auto asks the API server whether it serves InitializerConfigurations (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--config-namespace", defaultValue = ControllerOptions.DEFAULT_CONFIG_NAMESPACE, paramLabel = "NS",
            description = "Namespace of the ConfigMaps and the leader Lease (default: ${DEFAULT-VALUE}).")
    String configNamespace;

    @Option(names = "--config-map", defaultValue = ControllerOptions.DEFAULT_CONFIG_MAP, paramLabel = "NAME",
            description = "ConfigMap with the 'config' document (default: ${DEFAULT-VALUE}).")
    String configMap;

    @Option(names = "--all-kinds", description = "Also ReplicaSets, ReplicationControllers and CronJobs.")
    boolean allKinds;

    @Option(names = "--http-port", defaultValue = "" + ControllerOptions.DEFAULT_HTTP_PORT, paramLabel = "PORT",
            description = "Port of /metrics, /healthz and /readyz; 0 picks a free port, -1 turns them off (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--log-format", defaultValue = "text", paramLabel = "text|json", converter = LogFormatConverter.class,
            description = "Log lines as text or as one JSON object per line, on stderr (default: ${DEFAULT-VALUE}).")
    LogFormat logFormat;

    @Option(names = "--leader-election", defaultValue = "true", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
            description = "Elect one active replica through a Lease in the config namespace (default: ${DEFAULT-VALUE}).")
    boolean leaderElection;

    @Option(names = "--lease-name", defaultValue = ControllerOptions.DEFAULT_LEASE_NAME, paramLabel = "NAME",
            description = "Name of the leader Lease (default: ${DEFAULT-VALUE}).")
    String leaseName;

    @Option(names = "--identity", paramLabel = "NAME",
            description = "This replica's name in the Lease and in Events (default: $POD_NAME, else the host name).")
    String identity;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        logFormat.apply(); // before anything logs, so even the first line has the chosen format
        Logger log = LoggerFactory.getLogger(ControllerCommand.class);
        PrintWriter err = spec.commandLine().getErr();
        ControllerOptions options;
        try {
            options = new ControllerOptions(mode, configNamespace, configMap, allKinds, httpPort, leaderElection, leaseName,
                    identity == null || identity.isBlank() ? ControllerOptions.defaultIdentity() : identity);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }

        KubernetesClient client;
        SidecarController controller;
        try {
            // Pinned: with both the JDK and the Vert.x HTTP clients on the classpath fabric8 would pick one at random.
            client = new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory()).build();
        } catch (RuntimeException e) {
            err.println("controller: cannot configure the Kubernetes client: " + e.getMessage());
            err.flush();
            return Main.EXIT_BAD_INPUT;
        }
        try {
            controller = SidecarController.start(client, options);
        } catch (StartupException e) {
            err.println("controller: " + e.getMessage());
            err.flush();
            client.close();
            return Main.EXIT_BAD_INPUT;
        }

        Thread hook = new Thread(() -> {
            controller.close();
            client.close();
        }, "controller-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            String reason = controller.stopped().toCompletableFuture().get();
            log.error("Exiting: {}", reason);
            return Main.EXIT_BAD_INPUT;
        } catch (ExecutionException e) {
            log.error("Exiting: {}", e.getCause().toString());
            return Main.EXIT_BAD_INPUT;
        } finally {
            controller.close();
            client.close();
        }
    }

    static final class ModeConverter implements CommandLine.ITypeConverter<Mode> {
        @Override
        public Mode convert(String value) {
            try {
                return Mode.fromFlag(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class LogFormatConverter implements CommandLine.ITypeConverter<LogFormat> {
        @Override
        public LogFormat convert(String value) {
            try {
                return LogFormat.fromFlag(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
