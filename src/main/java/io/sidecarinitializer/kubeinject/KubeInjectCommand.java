package io.sidecarinitializer.kubeinject;

import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.config.ConfigException;
import io.sidecarinitializer.config.ImagePullPolicy;
import io.sidecarinitializer.config.InjectConfig;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.MeshConfig;
import io.sidecarinitializer.config.MeshConfigParser;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.yaml.KubeYaml;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * SPEC §6: inject the sidecar into manifests offline, with no cluster. Its options are set by {@link KubeInjectCommandLine}.
 */
final class KubeInjectCommand implements Callable<Integer> {
    /** Exit status for input or configuration we cannot use (2, a usage error, is picocli's). */
    static final int EXIT_BAD_INPUT = 1;

    String input;
    Path output;
    Path injectConfigFile;
    Path meshConfigFile;
    String hub;
    String tag;
    Integer verbosity;
    Long sidecarProxyUID;
    String versionString;
    String includeIPRanges;
    Boolean coreDump;
    ImagePullPolicy imagePullPolicy;
    Boolean debug;
    String namespace;
    boolean quiet;

    /**
     * SnakeYAML and Jackson recurse once per nesting level, and kubectl accepts {@value KubeYaml#MAX_NESTING_DEPTH}
     * levels (CRD schemas go deep); 8 MB was enough for that, this leaves room. Reserved, not committed, memory.
     */
    private static final long WORKER_STACK_BYTES = 128L << 20;

    private final OutputStream out;
    private final PrintStream err;
    private final InputStream in;

    KubeInjectCommand() {
        // Stdout unwrapped: a PrintStream would swallow a write error (a full disk, a closed pipe) and exit 0.
        this(new FileOutputStream(FileDescriptor.out), System.err, System.in);
    }

    KubeInjectCommand(OutputStream out, PrintStream err, InputStream in) {
        this.out = out;
        this.err = err;
        this.in = in;
    }

    @Override
    public Integer call() throws InterruptedException, ExecutionException {
        FutureTask<Integer> run = new FutureTask<>(this::run);
        Thread worker = new Thread(null, run, "kube-inject", WORKER_STACK_BYTES);
        worker.start();
        try {
            return run.get();
        } catch (ExecutionException e) {
            // rethrown as if thrown here, so picocli reports a bug as it did before the worker thread
            if (e.getCause() instanceof RuntimeException bug) {
                throw bug;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    private int run() {
        try {
            Injector injector = new Injector(injectConfig(), meshConfig());
            List<String> summary = new ArrayList<>();
            byte lastByte = '\n';
            ManifestRewriter rewriter = new ManifestRewriter(injector, namespace, summary::add);
            ByteArrayOutputStream result = new ByteArrayOutputStream();
            for (Source source : sources()) {
                byte[] rewritten = rewriter.rewrite(source.name(), source.bytes());
                if (result.size() > 0) {
                    result.writeBytes(lastByte == '\n' ? SEPARATOR : NEWLINE_SEPARATOR);
                }
                result.writeBytes(rewritten);
                lastByte = rewritten.length == 0 ? lastByte : rewritten[rewritten.length - 1];
            }
            write(result);
            if (!quiet) {
                summary.forEach(err::println); // only now: a later document's failure writes nothing, so nothing was injected
            }
            return 0;
        } catch (ManifestException e) {
            err.println("kube-inject: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
    }

    private static final byte[] SEPARATOR = "---\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEWLINE_SEPARATOR = "\n---\n".getBytes(StandardCharsets.US_ASCII);

    private InjectConfig injectConfig() throws ManifestException {
        Map<String, Object> doc = injectConfigFile == null
                ? new LinkedHashMap<>() : configDocument("--injectConfigFile", injectConfigFile, "config");
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
            String h = hub == null ? "docker.io/istio" : nonBlank("--hub", hub).replaceAll("/+$", "");
            String t = tag == null ? BuildInfo.istioVersion() : nonBlank("--tag", tag);
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
            throw new ManifestException(injectConfigFile + ": " + e.getMessage());
        }
    }

    /** An image name must have a registry and a tag; an empty one would give {@code /proxy:}. */
    private static String nonBlank(String flag, String value) throws ManifestException {
        if (value.isBlank() || value.replace("/", "").isBlank()) {
            throw new ManifestException(flag + ": must not be empty");
        }
        return value;
    }

    private MeshConfig meshConfig() throws ManifestException {
        if (meshConfigFile == null) {
            return MeshConfig.defaults();
        }
        Map<String, Object> doc = configDocument("--meshConfigFile", meshConfigFile, "mesh");
        try {
            return MeshConfigParser.parse(new KubeYaml().dump(doc));
        } catch (ConfigException e) {
            throw new ManifestException(meshConfigFile + ": " + e.getMessage());
        }
    }

    /** Reads a config document, or the one under {@code data.<key>} when the file is the ConfigMap itself. */
    private static Map<String, Object> configDocument(String flag, Path file, String key) throws ManifestException {
        KubeYaml yaml = new KubeYaml();
        Object doc;
        try {
            doc = yaml.load(InputFiles.readUtf8(file, flag));
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

    private Map<String, Object> paramsOf(Map<String, Object> doc) throws ManifestException {
        Object params = doc.get("params");
        if (params == null) {
            Map<String, Object> fresh = new LinkedHashMap<>();
            doc.put("params", fresh);
            return fresh;
        }
        if (!(params instanceof Map<?, ?>)) {
            throw new ManifestException(injectConfigFile + ": params: expected a mapping");
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

    private record Source(String name, byte[] bytes) {}

    private List<Source> sources() throws ManifestException {
        if (input.equals("-")) {
            return List.of(new Source("<stdin>", InputFiles.readStdin(in)));
        }
        Path path = Path.of(input);
        if (Files.isDirectory(path)) {
            List<Source> sources = new ArrayList<>();
            for (Path f : InputFiles.manifestsBelow(path)) {
                sources.add(new Source(f.toString(), InputFiles.read(f)));
            }
            if (sources.isEmpty()) {
                throw new ManifestException(input + ": no .yaml, .yml or .json files in this directory");
            }
            return sources;
        }
        return List.of(new Source(input, InputFiles.read(path)));
    }

    /** Stdout, or the output file; all or nothing, since the whole result is ready before the first byte goes out. */
    private void write(ByteArrayOutputStream result) throws ManifestException {
        if (output != null) {
            OutputFile.write(output, result);
            return;
        }
        try {
            result.writeTo(out);
            out.flush();
        } catch (IOException e) {
            throw new ManifestException("cannot write to stdout: " + OutputFile.reason(e));
        }
        if (out instanceof PrintStream p && p.checkError()) {
            throw new ManifestException("cannot write to stdout");
        }
    }
}
