package io.sidecarinitializer.kubeinject;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.inject.InjectionException;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.inject.Workload;
import io.sidecarinitializer.yaml.EntrySplicer;
import io.sidecarinitializer.yaml.KubeYaml;
import io.sidecarinitializer.yaml.RawDocument;
import io.sidecarinitializer.yaml.YamlDocuments;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * kube-inject's transformation of one file: every workload document (or {@code List} item) the engine
 * selects gets the sidecar; every other document is written back exactly as it was read.
 */
public final class ManifestRewriter {
    private final Injector injector;
    private final String defaultNamespace;
    private final Consumer<String> report;
    private final KubeYaml yaml = new KubeYaml();
    /** The sidecar's containers and volumes are the same in most workloads: written once, then spliced in. */
    private final EntrySplicer splicer = new EntrySplicer(yaml);
    private final StringBuilder text = new StringBuilder();
    private ObjectMapper json;

    /**
     * @param report receives one line per workload: {@code deployment/hello (ns default): injected}
     */
    public ManifestRewriter(Injector injector, String defaultNamespace, Consumer<String> report) {
        this.injector = injector;
        this.defaultNamespace = defaultNamespace;
        this.report = report;
    }

    /** Rewrites a whole YAML stream or JSON document, as bytes; {@code source} names it in messages. */
    public byte[] rewrite(String source, byte[] input) throws ManifestException {
        if (isJson(input)) {
            return rewriteJson(source, input);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(input.length + input.length / 2 + 16);
        for (RawDocument doc : YamlDocuments.split(input)) {
            rewrite(source, doc, out);
        }
        return out.toByteArray();
    }

    /** kubectl's test: the first character after white space (and a byte order mark) opens a JSON value. */
    private static boolean isJson(byte[] input) {
        for (int i = RawDocument.hasBom(input) ? 3 : 0; i < input.length; i++) {
            byte b = input[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b == '{' || b == '[';
            }
        }
        return false;
    }

    private void rewrite(String source, RawDocument doc, ByteArrayOutputStream out) throws ManifestException {
        if (doc.isBlank()) {
            doc.writeTo(out);
            return;
        }
        String body = doc.body();
        Object tree;
        try {
            tree = yaml.load(body);
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            int line = doc.firstLine() + (mark == null ? 0 : mark.getLine());
            int column = mark == null ? 0 : mark.getColumn() + 1;
            throw new ManifestException(source, doc.number(), line, column, "not valid YAML: " + problem(e));
        } catch (YAMLException e) {
            throw new ManifestException(source, doc.number(), doc.firstLine(), "not valid YAML: " + e.getMessage());
        }
        if (!(tree instanceof Map<?, ?> map) || !injectAll(new Where(source, doc.number(), doc.firstLine(), body), map, splicer::standIn)) {
            doc.writeTo(out);
            return;
        }
        requireUtf8(source, doc, body);
        text.setLength(0);
        if (doc.hasSeparator()) {
            text.append("---\n");
        }
        splicer.dump(tree, text);
        out.writeBytes(text.toString().getBytes(StandardCharsets.UTF_8));
        if (text.length() > 1 << 20) {
            text.setLength(0);
            text.trimToSize(); // one huge document must not pin its buffer for the rest of the run
        }
    }

    /** A document we rewrite is written as UTF-8; bytes we could not decode must not turn into U+FFFD silently. */
    private static void requireUtf8(String source, RawDocument doc, String decoded) throws ManifestException {
        if (decoded.indexOf('\uFFFD') < 0) {
            return; // decoding replaces every malformed sequence with U+FFFD, so without one the bytes were UTF-8
        }
        int line = doc.firstNonUtf8Line();
        if (line > 0) {
            throw new ManifestException(source, doc.number(), line,
                    "bytes that are not UTF-8 in a document to inject; kubectl reads manifests as UTF-8, convert the file first");
        }
    }

    /**
     * A JSON value, or a stream of them as kubectl reads it ({@code kubectl get -o json} of several objects): each
     * object we inject is written pretty-printed in its place, and the text between and around them is kept.
     */
    private byte[] rewriteJson(String source, byte[] input) throws ManifestException {
        if (json == null) {
            json = jsonMapper(); // loaded only for JSON input: it is the slowest class graph kube-inject touches
        }
        int bom = RawDocument.hasBom(input) ? 3 : 0;
        String text = new String(input, bom, input.length - bom, StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(text.length() * 2);
        int copied = 0;
        int number = 0;
        boolean changed = false;
        try (JsonParser parser = json.createParser(text)) {
            while (parser.nextToken() != null) {
                number++;
                JsonLocation from = parser.currentTokenLocation();
                Object tree = json.readValue(parser, Object.class);
                int start = (int) from.getCharOffset();
                int end = (int) parser.currentLocation().getCharOffset();
                Where where = new Where(source, number, from.getLineNr(), text.substring(start, end));
                if (tree instanceof Map<?, ?> map && injectAll(where, map, UnaryOperator.identity())) {
                    out.append(text, copied, start).append(json.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
                    copied = end;
                    changed = true;
                }
            }
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 1 : e.getLocation().getLineNr();
            int column = e.getLocation() == null ? 0 : e.getLocation().getColumnNr();
            throw new ManifestException(source, Math.max(number, 1), line, column, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String source has no I/O to fail
        }
        if (!changed) {
            return input;
        }
        requireUtf8(source, new RawDocument(1, 1, input, 0, 0, input.length), text);
        out.append(text, copied, text.length());
        if (copied == text.length()) {
            out.append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Jackson for manifests: duplicate keys are errors, as they are in YAML; nesting as deep as in YAML. */
    private static ObjectMapper jsonMapper() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(KubeYaml.MAX_NESTING_DEPTH).build())
                .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(KubeYaml.MAX_NESTING_DEPTH).build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        return new ObjectMapper(factory);
    }

    /** A parsed document, to name in messages: its file, number, first line and the text it was parsed from. */
    private record Where(String source, int number, int firstLine, String text) {}

    /** Injects the document, or each item of a {@code kind: List}; true when anything changed. */
    private boolean injectAll(Where where, Map<?, ?> document, UnaryOperator<Object> substitute) throws ManifestException {
        if ("List".equals(document.get("kind")) && document.get("items") instanceof List<?> items) {
            boolean changed = false;
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i) instanceof Map<?, ?> m) {
                    changed |= injectOne(where, "items[" + i + "].", m, substitute);
                }
            }
            return changed;
        }
        return injectOne(where, "", document, substitute);
    }

    private boolean injectOne(Where where, String path, Map<?, ?> object, UnaryOperator<Object> substitute) throws ManifestException {
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) object;
        Workload workload = Workload.of(root, defaultNamespace).orElse(null);
        if (workload == null) {
            return false;
        }
        try {
            requireName(workload);
            Injector.Outcome outcome = injector.evaluate(workload);
            String who = workload.displayName() + " (ns " + workload.namespace() + "): ";
            report.accept(who + (outcome.injected() ? "injected" : "skipped: " + outcome.reason()));
            outcome.injection().ifPresent(i -> i.applyTo(substitute));
            return outcome.injected();
        } catch (InjectionException e) {
            int line = where.firstLine();
            if (!e.field().isEmpty()) {
                line += Math.max(0, yaml.lineOf(where.text(), path + e.field()));
            }
            throw new ManifestException(where.source(), where.number(), line, e.getMessage());
        }
    }

    /** kubectl refuses an object with neither a name nor a generateName; so does kube-inject, before writing it. */
    private static void requireName(Workload workload) {
        Object metadata = workload.root().get("metadata");
        Object name = metadata instanceof Map<?, ?> m ? (m.get("name") != null ? m.get("name") : m.get("generateName")) : null;
        if (!(name instanceof String text) || text.isEmpty()) {
            String field = metadata instanceof Map<?, ?> ? "metadata.name" : "metadata";
            throw new InjectionException(field, workload.displayName() + ": " + (name == null
                    ? "metadata.name is missing" : "metadata.name must be a non-empty string, got " + name));
        }
    }

    private static String problem(MarkedYAMLException e) {
        String p = e.getProblem() != null ? e.getProblem() : e.getMessage();
        return e.getContext() != null ? e.getContext() + "; " + p : p;
    }
}
