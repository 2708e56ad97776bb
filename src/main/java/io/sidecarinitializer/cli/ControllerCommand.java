package io.sidecarinitializer.cli;

import io.sidecarinitializer.cluster.ControllerOptions;
import io.sidecarinitializer.cluster.Mode;
import io.sidecarinitializer.cluster.SidecarController;
import java.util.concurrent.Callable;
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

    @CommandLine.Mixin
    ClusterFlags cluster;

    @Option(names = "--all-kinds", description = "Also ReplicaSets, ReplicationControllers and CronJobs.")
    boolean allKinds;

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
        cluster.logFormat.apply(); // before anything logs, so even the first line has the chosen format
        ControllerOptions options;
        try {
            options = new ControllerOptions(mode, cluster.configNamespace, cluster.configMap, allKinds, cluster.httpPort,
                    leaderElection, leaseName,
                    identity == null || identity.isBlank() ? ControllerOptions.defaultIdentity() : identity);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        return ClusterProcess.run("controller", spec.commandLine().getErr(), client -> {
            SidecarController controller = SidecarController.start(client, options);
            return new ClusterProcess.Running(controller.stopped(), controller::close);
        });
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
}
