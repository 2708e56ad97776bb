package io.sidecarinitializer.cli;

import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.config.ConfigException;
import io.sidecarinitializer.config.ImagePullPolicy;
import io.sidecarinitializer.config.InjectConfig;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.MeshConfig;
import io.sidecarinitializer.config.MeshConfigParser;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.yaml.KubeYaml;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** SPEC §6: inject the sidecar into manifests offline, with no cluster. */
@Command(name = "kube-inject", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {
            "Add the Istio sidecar to the workloads in Kubernetes YAML or JSON, offline.",
            "Documents it does not inject are written back unchanged. One line per workload goes to stderr.",
            "Example: kubectl get deploy -o yaml | kube-inject -f - | kubectl apply -f -"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:bad input or configuration (nothing is written)", "2:usage error"})
final class KubeInjectCommand implements Callable<Integer> {

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|-|DIR",
            description = "Input: a file, '-' for stdin, or a directory (every .yaml/.yml/.json below it, sorted).")
    String input;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT",
            description = "Write here (atomically: all or nothing) instead of stdout.")
    Path output;

    @Option(names = "--injectConfigFile", paramLabel = "FILE",
            description = "The 'config' document of the istio-inject ConfigMap (or the ConfigMap itself).")
    Path injectConfigFile;

    @Option(names = "--meshConfigFile", paramLabel = "FILE",
            description = "The 'mesh' document of the mesh ConfigMap (or the ConfigMap itself).")
    Path meshConfigFile;

    @Option(names = "--hub", description = "Image registry: images become HUB/proxy_init:TAG and HUB/proxy:TAG (default hub docker.io/istio).")
    String hub;

    @Option(names = "--tag", description = "Image tag for --hub (default: the Istio release this build follows).")
    String tag;

    @Option(names = "--verbosity", description = "Proxy -v level; 0 omits the flag.")
    Integer verbosity;

    @Option(names = "--sidecarProxyUID", paramLabel = "UID", description = "UID the proxy runs as; iptables lets its traffic through.")
    Long sidecarProxyUID;

    @Option(names = "--setVersionString", paramLabel = "VERSION", description = "Version recorded in the status annotation.")
    String versionString;

    @Option(names = "--includeIPRanges", paramLabel = "CIDRS", description = "Comma-separated CIDRs to redirect; empty redirects all.")
    String includeIPRanges;

    @Option(names = "--coreDump", description = "Add the enable-core-dump init container.")
    Boolean coreDump;

    @Option(names = "--imagePullPolicy", paramLabel = "POLICY", description = "Always, IfNotPresent or Never.")
    ImagePullPolicy imagePullPolicy;

    @Option(names = "--debug", description = "Debug proxy: writable root filesystem, privileged, proxy_debug image with --hub/--tag.")
    Boolean debug;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default",
            description = "Namespace assumed for objects that name none (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = {"-q", "--quiet"}, description = "Do not print the per-workload summary on stderr.")
    boolean quiet;

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;

    KubeInjectCommand() {
        this(System.out, System.err, System.in);
    }

    KubeInjectCommand(PrintStream out, PrintStream err, InputStream in) {
        this.out = out;
        this.err = err;
        this.in = in;
    }

    @Override
    public Integer call() {
        try {
            Injector injector = new Injector(injectConfig(), meshConfig());
            ManifestRewriter rewriter = new ManifestRewriter(injector, namespace, quiet ? line -> { } : err::println);
            StringBuilder result = new StringBuilder();
            for (Source source : sources()) {
                if (!result.isEmpty()) {
                    result.append(result.charAt(result.length() - 1) == '\n' ? "" : "\n").append("---\n");
                }
                result.append(rewriter.rewrite(source.name(), source.text()));
            }
            write(result.toString());
            return 0;
        } catch (ManifestException | IOException e) {
            err.println("kube-inject: " + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
    }

    private InjectConfig injectConfig() throws ManifestException, IOException {
        Map<String, Object> doc = injectConfigFile == null ? new LinkedHashMap<>() : configDocument(injectConfigFile, "config");
        Map<String, String> flagFor = new LinkedHashMap<>();
        Map<String, Object> params = paramsOf(doc);
        override(params, flagFor, "verbosity", "--verbosity", verbosity);
        override(params, flagFor, "sidecarProxyUID", "--sidecarProxyUID", sidecarProxyUID);
        override(params, flagFor, "version", "--setVersionString", versionString);
        override(params, flagFor, "includeIPRanges", "--includeIPRanges", includeIPRanges);
        override(params, flagFor, "enableCoreDump", "--coreDump", coreDump);
        override(params, flagFor, "imagePullPolicy", "--imagePullPolicy", imagePullPolicy == null ? null : imagePullPolicy.name());
        override(params, flagFor, "debugMode", "--debug", debug);
        if (hub != null || tag != null) {
            String h = hub == null ? "docker.io/istio" : hub.replaceAll("/+$", "");
            String t = tag == null ? BuildInfo.istioVersion() : tag;
            boolean debugImage = Boolean.TRUE.equals(debug);
            override(params, flagFor, "initImage", "--hub/--tag", h + "/proxy_init:" + t);
            override(params, flagFor, "proxyImage", "--hub/--tag", h + (debugImage ? "/proxy_debug:" : "/proxy:") + t);
        }
        try {
            return InjectConfigParser.fromMap(doc);
        } catch (ConfigException e) {
            String field = e.field().startsWith("params.") ? e.field().substring("params.".length()) : "";
            if (flagFor.containsKey(field)) {
                throw new ManifestException(flagFor.get(field) + e.getMessage().substring(e.field().length()));
            }
            throw new ManifestException(where(injectConfigFile) + e.getMessage());
        }
    }

    private MeshConfig meshConfig() throws ManifestException, IOException {
        if (meshConfigFile == null) {
            return MeshConfig.defaults();
        }
        Map<String, Object> doc = configDocument(meshConfigFile, "mesh");
        try {
            return MeshConfigParser.parse(new KubeYaml().dump(doc));
        } catch (ConfigException e) {
            throw new ManifestException(where(meshConfigFile) + e.getMessage());
        }
    }

    private static String where(Path file) {
        return file == null ? "" : file + ": ";
    }

    /** Reads a config document, or the one under {@code data.<key>} when the file is the ConfigMap itself. */
    private static Map<String, Object> configDocument(Path file, String key) throws ManifestException, IOException {
        KubeYaml yaml = new KubeYaml();
        Object doc;
        try {
            doc = yaml.load(Files.readString(file));
            if (doc instanceof Map<?, ?> m && "ConfigMap".equals(m.get("kind"))) {
                Object data = m.get("data") instanceof Map<?, ?> d ? d.get(key) : null;
                if (!(data instanceof String text)) {
                    throw new ManifestException(file + ": ConfigMap has no data." + key + " document");
                }
                doc = yaml.load(text);
            }
        } catch (YAMLException e) {
            throw new ManifestException(file + ": not valid YAML: " + e.getMessage());
        }
        if (doc == null) {
            return new LinkedHashMap<>();
        }
        if (!(doc instanceof Map<?, ?>)) {
            throw new ManifestException(file + ": expected a mapping");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) doc;
        return map;
    }

    private static Map<String, Object> paramsOf(Map<String, Object> doc) throws ManifestException {
        Object params = doc.get("params");
        if (params == null) {
            Map<String, Object> fresh = new LinkedHashMap<>();
            doc.put("params", fresh);
            return fresh;
        }
        if (!(params instanceof Map<?, ?>)) {
            throw new ManifestException("params: expected a mapping");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) params;
        return typed;
    }

    private static void override(Map<String, Object> params, Map<String, String> flagFor, String field, String flag, Object value) {
        if (value != null) {
            params.put(field, value);
            flagFor.put(field, flag);
        }
    }

    private record Source(String name, String text) {}

    private List<Source> sources() throws IOException, ManifestException {
        if (input.equals("-")) {
            return List.of(new Source("<stdin>", new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
        Path path = Path.of(input);
        if (Files.isDirectory(path)) {
            List<Source> sources = new ArrayList<>();
            try (Stream<Path> files = Files.walk(path)) {
                for (Path f : files.filter(Files::isRegularFile).filter(KubeInjectCommand::isManifest).sorted().toList()) {
                    sources.add(new Source(f.toString(), Files.readString(f)));
                }
            }
            if (sources.isEmpty()) {
                throw new ManifestException(input + ": no .yaml, .yml or .json files in this directory");
            }
            return sources;
        }
        if (!Files.isReadable(path)) {
            throw new ManifestException(input + ": no such file or not readable");
        }
        return List.of(new Source(input, Files.readString(path)));
    }

    private static boolean isManifest(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
    }

    /** Stdout, or the output file via a temp file and a rename so a failure never leaves half a file. */
    private void write(String text) throws IOException {
        if (output == null) {
            out.print(text);
            out.flush();
            return;
        }
        Path target = output.toAbsolutePath();
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.writeString(temp, text);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
