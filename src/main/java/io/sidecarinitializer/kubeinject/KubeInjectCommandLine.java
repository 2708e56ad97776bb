package io.sidecarinitializer.kubeinject;

import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.config.ImagePullPolicy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * kube-inject's options, in the order {@code --help} lists them. Built with picocli's programmatic API: reading
 * annotations (proxies, reflection over every member) was most of a kube-inject run's start-up.
 */
public final class KubeInjectCommandLine {
    /** The subcommand's name, as {@code sidecar-initializer kube-inject} runs it. */
    public static final String NAME = "kube-inject";
    /** The command it is a subcommand of, so usage and error messages name it as they always have. */
    private static final String PARENT = "sidecar-initializer";

    /**
     * Every part of this command line is given as an object, so picocli never needs its default factory, whose class
     * initialisation looks for Groovy on the class path (a jar lookup that fails, on every run). Asked anyway, it defers.
     */
    private static final CommandLine.IFactory OBJECTS_ONLY = new CommandLine.IFactory() {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            return CommandLine.defaultFactory().create(type);
        }
    };

    private KubeInjectCommandLine() {}

    /** The command line of a kube-inject that reads stdin and writes stdout and stderr. */
    public static CommandSpec spec() {
        return spec(new KubeInjectCommand());
    }

    static CommandSpec spec(KubeInjectCommand command) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command, OBJECTS_ONLY).name(NAME);
        spec.versionProvider(() -> new String[] {BuildInfo.versionLine()});
        spec.usageMessage()
                .description(
                        "Add the Istio sidecar to the workloads in Kubernetes YAML or JSON, offline.",
                        "Documents it does not inject are written back unchanged. One line per workload goes to stderr.",
                        "Example: kubectl get deploy -o yaml | kube-inject -f - | kubectl apply -f -")
                .sortOptions(false)
                .exitCodeListHeading("%nExit status:%n")
                .exitCodeList(exitCodes());

        add(spec, OptionSpec.builder("-f", "--filename").required(true).paramLabel("FILE|-|DIR")
                .description("Input: a file, '-' for stdin, or a directory (every .yaml/.yml/.json below it, sorted)."),
                String.class, v -> command.input = v);
        add(spec, OptionSpec.builder("-o", "--output").paramLabel("OUT")
                .description("Write here (atomically: all or nothing) instead of stdout."),
                Path.class, v -> command.output = v);
        add(spec, OptionSpec.builder("--injectConfigFile").paramLabel("FILE")
                .description("The 'config' document of the istio-inject ConfigMap (or the ConfigMap itself)."),
                Path.class, v -> command.injectConfigFile = v);
        add(spec, OptionSpec.builder("--meshConfigFile").paramLabel("FILE")
                .description("The 'mesh' document of the mesh ConfigMap (or the ConfigMap itself)."),
                Path.class, v -> command.meshConfigFile = v);
        add(spec, OptionSpec.builder("--hub").paramLabel("<hub>")
                .description("Image registry: images become HUB/proxy_init:TAG and HUB/proxy:TAG (default hub docker.io/istio)."),
                String.class, v -> command.hub = v);
        add(spec, OptionSpec.builder("--tag").paramLabel("<tag>")
                .description("Image tag for --hub (default: the Istio release this build follows)."),
                String.class, v -> command.tag = v);
        add(spec, OptionSpec.builder("--verbosity").paramLabel("<verbosity>")
                .description("Proxy -v level; 0 omits the flag."),
                Integer.class, v -> command.verbosity = v);
        add(spec, OptionSpec.builder("--sidecarProxyUID").paramLabel("UID")
                .description("UID the proxy runs as; iptables lets its traffic through."),
                Long.class, v -> command.sidecarProxyUID = v);
        add(spec, OptionSpec.builder("--setVersionString").paramLabel("VERSION")
                .description("Version recorded in the status annotation."),
                String.class, v -> command.versionString = v);
        add(spec, OptionSpec.builder("--includeIPRanges").paramLabel("CIDRS")
                .description("Comma-separated CIDRs to redirect; empty redirects all."),
                String.class, v -> command.includeIPRanges = v);
        add(spec, OptionSpec.builder("--coreDump")
                .description("Add the enable-core-dump init container."),
                Boolean.class, v -> command.coreDump = v);
        add(spec, OptionSpec.builder("--imagePullPolicy").paramLabel("POLICY")
                .description("Always, IfNotPresent or Never."),
                ImagePullPolicy.class, v -> command.imagePullPolicy = v);
        add(spec, OptionSpec.builder("--debug")
                .description("Debug proxy: writable root filesystem, privileged, proxy_debug image with --hub/--tag."),
                Boolean.class, v -> command.debug = v);
        add(spec, OptionSpec.builder("-n", "--namespace").paramLabel("<namespace>").defaultValue("default")
                .description("Namespace assumed for objects that name none (default: ${DEFAULT-VALUE})."),
                String.class, v -> command.namespace = v);
        add(spec, OptionSpec.builder("-q", "--quiet")
                .description("Do not print the per-workload summary on stderr."),
                Boolean.class, v -> command.quiet = Boolean.TRUE.equals(v));
        // What mixinStandardHelpOptions adds, without the annotated mixin it would have to read.
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());

        return spec;
    }

    /** kube-inject on its own, under a bare {@code sidecar-initializer} so usage and messages name it as they always have. */
    static CommandLine standalone(KubeInjectCommand command) {
        CommandLine parent = new CommandLine(CommandSpec.wrapWithoutInspection(null, OBJECTS_ONLY).name(PARENT), OBJECTS_ONLY);
        parent.addSubcommand(NAME, new CommandLine(spec(command), OBJECTS_ONLY));
        return parent;
    }

    /** Runs {@link #standalone} on kube-inject's own arguments. */
    static int execute(CommandLine standalone, String... args) {
        // Named, as the parent expects, so a message that counts arguments counts "kube-inject" as it always has.
        String[] named = new String[args.length + 1];
        named[0] = NAME;
        System.arraycopy(args, 0, named, 1, args.length);
        return standalone.execute(named);
    }

    private static Map<String, String> exitCodes() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put("0", "success");
        codes.put("1", "bad input or configuration (nothing is written)");
        codes.put("2", "usage error");
        return codes;
    }

    private static <T> void add(CommandSpec spec, OptionSpec.Builder option, Class<T> type, Consumer<T> field) {
        spec.addOption(option.type(type).setter(new ISetter() {
            @Override
            @SuppressWarnings("unchecked")
            public <V> V set(V value) {
                field.accept((T) value);
                return null;
            }
        }).build());
    }
}
