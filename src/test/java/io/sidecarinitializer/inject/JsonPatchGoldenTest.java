package io.sidecarinitializer.inject;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.kubeinject.GoldenCase;
import io.sidecarinitializer.kubeinject.GoldenFilesTest;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.MeshConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The controller and webhook send {@link Injection#jsonPatch()} instead of rewriting YAML. Pin that patch for
 * a few cases, and check for every default-flag case that the patch, applied to the input by an RFC 6902
 * applier, gives exactly the object kube-inject writes.
 */
public class JsonPatchGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Injector INJECTOR = new Injector(
            InjectConfigParser.parse("params:\n  version: " + GoldenCase.VERSION + "\n"), MeshConfig.defaults());

    static List<GoldenCase> casesWithDefaultFlags() {
        return GoldenCase.all().stream().filter(c -> c.args().isEmpty()).toList();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"deployment-apps-v1", "cronjob-batch-v1", "pod-v1", "existing-lists", "service-account"})
    void jsonPatchMatchesTheGoldenPatch(String name) throws IOException {
        GoldenCase c = GoldenCase.named(name);
        Object input = GoldenFilesTest.documents(c.input(), c.inputText()).get(0);

        Injection injection = injectionFor(input).orElseThrow(() -> new AssertionError(name + " is not injected"));

        GoldenCase.assertMatchesFile(GoldenCase.dir().resolve(name + ".patch.json"), pretty(injection.jsonPatch()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("casesWithDefaultFlags")
    void jsonPatchAppliedToTheInputGivesTheKubeInjectOutput(GoldenCase c) throws IOException {
        List<Object> in = GoldenFilesTest.documents(c.input(), c.inputText());
        List<Object> out = GoldenFilesTest.documents(c.output(), c.expectedOutput());

        int patched = 0;
        for (int i = 0; i < in.size(); i++) {
            List<Object> inObjects = GoldenFilesTest.objects(in.get(i));
            List<Object> outObjects = GoldenFilesTest.objects(out.get(i));
            for (int j = 0; j < inObjects.size(); j++) {
                Object before = normalised(inObjects.get(j));
                Optional<Injection> injection = injectionFor(inObjects.get(j));
                if (injection.isPresent()) {
                    Object patch = normalised(injection.get().jsonPatch());
                    assertThat(normalised(inObjects.get(j))).as("jsonPatch() leaves the object it read alone").isEqualTo(before);
                    Object result = JsonPatchApplier.apply(normalised(inObjects.get(j)), patch);
                    assertThat(normalised(result)).as("document %d, object %d", i + 1, j + 1).isEqualTo(normalised(outObjects.get(j)));
                    patched++;
                }
            }
        }
        boolean changed = !c.inputText().equals(c.expectedOutput());
        assertThat(patched > 0).as("a patch exists exactly when kube-inject changed the file").isEqualTo(changed);
    }

    @SuppressWarnings("unchecked")
    private static Optional<Injection> injectionFor(Object object) {
        if (!(object instanceof Map<?, ?> m)) {
            return Optional.empty();
        }
        return Workload.of((Map<String, Object>) m, "default").flatMap(w -> INJECTOR.evaluate(w).injection());
    }

    /** One representation for YAML-, JSON- and Java-built trees: a JSON round trip (1337L and 1337 compare equal). */
    private static Object normalised(Object tree) throws IOException {
        return JSON.readValue(JSON.writeValueAsString(tree), Object.class);
    }

    public static String pretty(Object value) throws IOException {
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withArrayIndenter(indenter)
                .withObjectIndenter(indenter);
        return JSON.writer(printer).writeValueAsString(value) + "\n";
    }

    /** A small RFC 6902 applier for the operations injection uses; anything else fails the test. */
    static final class JsonPatchApplier {
        private JsonPatchApplier() {}

        @SuppressWarnings("unchecked")
        static Object apply(Object document, Object patch) {
            for (Object o : (List<Object>) patch) {
                Map<String, Object> op = (Map<String, Object>) o;
                assertThat(op.get("op")).as("operation %s", op).isEqualTo("add");
                String path = (String) op.get("path");
                assertThat(path).startsWith("/");
                List<String> tokens = new ArrayList<>();
                for (String t : path.substring(1).split("/", -1)) {
                    tokens.add(t.replace("~1", "/").replace("~0", "~"));
                }
                Object parent = document;
                for (String t : tokens.subList(0, tokens.size() - 1)) {
                    parent = parent instanceof List<?> l ? l.get(Integer.parseInt(t)) : ((Map<String, Object>) parent).get(t);
                    assertThat(parent).as("RFC 6902: the parent of %s must exist", path).isNotNull();
                }
                String last = tokens.get(tokens.size() - 1);
                if (parent instanceof List<?> l) {
                    List<Object> list = (List<Object>) l;
                    list.add(last.equals("-") ? list.size() : Integer.parseInt(last), op.get("value"));
                } else {
                    ((Map<String, Object>) parent).put(last, op.get("value"));
                }
            }
            return document;
        }
    }
}
