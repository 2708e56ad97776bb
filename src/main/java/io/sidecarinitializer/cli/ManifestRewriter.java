package io.sidecarinitializer.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.inject.InjectionException;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.inject.Workload;
import io.sidecarinitializer.yaml.EntrySplicer;
import io.sidecarinitializer.yaml.KubeYaml;
import io.sidecarinitializer.yaml.RawDocument;
import io.sidecarinitializer.yaml.YamlDocuments;
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
    private ObjectMapper json;

    /**
     * @param report receives one line per workload: {@code deployment/hello (ns default): injected}
     */
    public ManifestRewriter(Injector injector, String defaultNamespace, Consumer<String> report) {
        this.injector = injector;
        this.defaultNamespace = defaultNamespace;
        this.report = report;
    }

    /** Rewrites a whole YAML stream or JSON document; {@code source} names it in messages. */
    public String rewrite(String source, String text) throws ManifestException {
        String trimmed = text.stripLeading();
        if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
            return rewriteJson(source, text);
        }
        StringBuilder out = new StringBuilder(text.length() + text.length() / 2);
        for (RawDocument doc : YamlDocuments.split(text)) {
            rewrite(source, doc, out);
        }
        return out.toString();
    }

    private void rewrite(String source, RawDocument doc, StringBuilder out) throws ManifestException {
        if (doc.isBlank()) {
            out.append(doc.separator()).append(doc.body());
            return;
        }
        Object tree;
        try {
            tree = yaml.load(doc.body());
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            int line = doc.firstLine() + (mark == null ? 0 : mark.getLine());
            int column = mark == null ? 0 : mark.getColumn() + 1;
            throw new ManifestException(source, doc.number(), line, column, "not valid YAML: " + problem(e));
        } catch (YAMLException e) {
            throw new ManifestException(source, doc.number(), doc.firstLine(), "not valid YAML: " + e.getMessage());
        }
        if (!(tree instanceof Map<?, ?> map) || !injectAll(source, doc.number(), doc.firstLine(), map, splicer::standIn)) {
            out.append(doc.separator()).append(doc.body());
            return;
        }
        if (!doc.separator().isEmpty()) {
            out.append("---\n");
        }
        splicer.dump(tree, out);
    }

    private String rewriteJson(String source, String text) throws ManifestException {
        if (json == null) {
            json = new ObjectMapper(); // loaded only for JSON input: it is the slowest class graph kube-inject touches
            // A second JSON value (kubectl create --dry-run -o json prints one per object) must not be dropped silently.
            json.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        }
        Object tree;
        try {
            tree = json.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 1 : e.getLocation().getLineNr();
            int column = e.getLocation() == null ? 0 : e.getLocation().getColumnNr();
            throw new ManifestException(source, 1, line, column, "not valid JSON: " + e.getOriginalMessage());
        }
        if (!(tree instanceof Map<?, ?> map) || !injectAll(source, 1, 1, map, UnaryOperator.identity())) {
            return text;
        }
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(tree) + "\n";
        } catch (JsonProcessingException e) {
            throw new ManifestException(source, 1, 1, "cannot write JSON: " + e.getOriginalMessage());
        }
    }

    /** Injects the document, or each item of a {@code kind: List}; true when anything changed. */
    private boolean injectAll(String source, int number, int line, Map<?, ?> document, UnaryOperator<Object> substitute)
            throws ManifestException {
        if ("List".equals(document.get("kind")) && document.get("items") instanceof List<?> items) {
            boolean changed = false;
            for (Object item : items) {
                if (item instanceof Map<?, ?> m) {
                    changed |= injectOne(source, number, line, m, substitute);
                }
            }
            return changed;
        }
        return injectOne(source, number, line, document, substitute);
    }

    private boolean injectOne(String source, int number, int line, Map<?, ?> object, UnaryOperator<Object> substitute)
            throws ManifestException {
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) object;
        Workload workload = Workload.of(root, defaultNamespace).orElse(null);
        if (workload == null) {
            return false;
        }
        try {
            Injector.Outcome outcome = injector.evaluate(workload);
            String who = workload.displayName() + " (ns " + workload.namespace() + "): ";
            report.accept(who + (outcome.injected() ? "injected" : "skipped: " + outcome.reason()));
            outcome.injection().ifPresent(i -> i.applyTo(substitute));
            return outcome.injected();
        } catch (InjectionException e) {
            throw new ManifestException(source, number, line, e.getMessage());
        }
    }

    private static String problem(MarkedYAMLException e) {
        String p = e.getProblem() != null ? e.getProblem() : e.getMessage();
        return e.getContext() != null ? e.getContext() + "; " + p : p;
    }
}
