package io.sidecarinitializer.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/** The YAML dialect of manifests: order kept, dates stay text, duplicates rejected, kubectl-like output. */
class KubeYamlTest {
    private final KubeYaml yaml = new KubeYaml();

    @Test
    void keepsKeyOrderThroughLoadAndDump() {
        String text = "kind: Deployment\napiVersion: apps/v1\nmetadata:\n  name: x\n  labels:\n    z: '1'\n    a: '2'\n";

        assertThat(yaml.dump(yaml.load(text))).isEqualTo(text);
    }

    @Test
    void aTabBetweenTokensOfALineSeparatesAsKubectlReadsIt() {
        Map<?, ?> m = (Map<?, ?>) yaml.load("apiVersion:\tapps/v1\nkind: Deployment\nmetadata: {name:\tx}\nspec:\n  args: [\"a:\\tb\", c\td]\n  v: \"x:\ty\"\n");

        assertThat(m.get("apiVersion")).isEqualTo("apps/v1");
        assertThat(m.get("metadata")).isEqualTo(Map.of("name", "x"));
        // Tabs inside scalars are content, not separators.
        assertThat(((Map<?, ?>) m.get("spec")).get("args")).isEqualTo(java.util.List.of("a:\tb", "c\td"));
        assertThat(((Map<?, ?>) m.get("spec")).get("v")).isEqualTo("x:\ty");
        assertThat(yaml.loadAll("a:\t1\n---\nb:\t\t2\n")).containsExactly(Map.of("a", 1), Map.of("b", 2));
        assertThat(yaml.lineOf("a: 1\nb:\t{c:\t2}\n", "b.c")).isEqualTo(1);
    }

    @Test
    void aTabThatIndentsStaysAnError() {
        assertThatThrownBy(() -> yaml.load("a:\n\tb: 1\n")).isInstanceOf(MarkedYAMLException.class).hasMessageContaining("TAB");
    }

    @Test
    void datesAndTimestampsStayStringsWhenRead() {
        Map<?, ?> m = (Map<?, ?>) yaml.load("created: 2017-10-10T10:10:10Z\nday: 2017-10-10\n");

        assertThat(m.get("created")).isEqualTo("2017-10-10T10:10:10Z");
        assertThat(m.get("day")).isEqualTo("2017-10-10");
    }

    @Test
    void timestampLikeStringsAreQuotedWhenWrittenSoEveryReaderSeesAString() {
        String out = yaml.dump(Map.of("creationTimestamp", "2017-10-10T10:10:10Z"));

        assertThat(((Map<?, ?>) new Yaml().load(out)).get("creationTimestamp")).isEqualTo("2017-10-10T10:10:10Z");
        assertThat(yaml.load(out)).isEqualTo(Map.of("creationTimestamp", "2017-10-10T10:10:10Z"));
    }

    @Test
    void stringsThatLookLikeOtherTypesAreQuotedWhenWritten() {
        Map<?, ?> original = (Map<?, ?>) yaml.load("a: 'true'\nb: 'yes'\nc: '1'\nd: '1.5'\ne: ''\nf: '~'\ng: 'null'\nh: 'on'\n");

        Map<?, ?> reread = (Map<?, ?>) new Yaml().load(yaml.dump(original));

        assertThat(reread).isEqualTo(original);
        assertThat(reread.values()).allSatisfy(v -> assertThat(v).isInstanceOf(String.class));
    }

    @Test
    void writesBlockStyleWithListsAtTheParentsIndentLikeKubectl() {
        Object tree = yaml.load("spec: {containers: [{name: a, args: [x, z]}], empty: {}, none: []}");

        assertThat(yaml.dump(tree)).isEqualTo("spec:\n  containers:\n  - name: a\n    args:\n    - x\n    - z\n  empty: {}\n  none: []\n");
    }

    @Test
    void neverFoldsLongLines() {
        String longValue = "x".repeat(500) + " " + "y".repeat(500);

        assertThat(yaml.dump(Map.of("k", longValue))).isEqualTo("k: " + longValue + "\n");
    }

    @Test
    void rejectsDuplicateKeys() {
        assertThatThrownBy(() -> yaml.load("a: 1\na: 2\n")).isInstanceOf(YAMLException.class).hasMessageContaining("duplicate key");
    }

    @Test
    void refusesToBuildJavaObjectsFromTags() {
        assertThatThrownBy(() -> yaml.load("!!java.io.File [/etc/passwd]")).isInstanceOf(YAMLException.class);
    }

    @Test
    void readsJsonToo() {
        assertThat(yaml.load("{\"a\": [1, \"b\"], \"c\": null}")).isEqualTo(yaml.load("a: [1, b]\nc: ~"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            y           | true
            Y           | true
            yes         | true
            ON          | true
            n           | false
            No          | false
            off         | false
            ~           |
            Null        |
            0x1F        | 31
            0o17        | 15
            0b101       | 5
            017         | 15
            -0x10       | -16
            1_000       | 1000
            9223372036854775807 | 9223372036854775807
            """)
    void readsBooleansNullsAndIntegersAsGoYamlDoes(String scalar, String expected) {
        Object value = ((Map<?, ?>) yaml.load("k: " + scalar + "\n")).get("k");

        assertThat(value == null ? null : String.valueOf(value)).isEqualTo(expected);
        if (value != null) {
            assertThat(value).isNotInstanceOf(String.class);
        }
    }

    @Test
    void readsFloatsAsGoYamlDoes() {
        Map<?, ?> m = (Map<?, ?>) yaml.load("a: 1e3\nb: .5\nc: 08\nd: .inf\ne: -.Inf\nf: .NaN\ng: 1.\n");

        assertThat(m.get("a")).isEqualTo(1000.0);
        assertThat(m.get("b")).isEqualTo(0.5);
        assertThat(m.get("c")).isEqualTo(8.0); // not octal, so Go's ParseFloat reads it
        assertThat(m.get("d")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(m.get("e")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat((Double) m.get("f")).isNaN();
        assertThat(m.get("g")).isEqualTo(1.0);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"22:30", "1:20:30", "yEs", "tRUE", "2017-10-10", "2017-10-10T10:10:10Z", "1e400", "0x", "+", ".", "0b2",
        "1.2.3", "0o8", ".5_0", "<<x"})
    void keepsWhatGoYamlReadsAsTextAsText(String scalar) {
        assertThat(((Map<?, ?>) yaml.load("k: " + scalar + "\n")).get("k")).isEqualTo(scalar);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"y", "Y", "n", "N", "yes", "NO", "on", "Off", "true", "~", "null", "", "0o17", "0x1F", "0b1", "017", "1e3", ".5",
        "1_000", "08", "+1", "-.inf", ".NaN", "22:30", "2017-10-10", "1.", "9223372036854775808"})
    void quotesEveryStringThatAYaml11ReaderWouldTakeForSomethingElse(String text) {
        String out = yaml.dump(Map.of("k", text));

        assertThat(out).isNotEqualTo("k: " + text + "\n");
        assertThat(yaml.load(out)).isEqualTo(Map.of("k", text));
        assertThat(((Map<?, ?>) new Yaml().load(out)).get("k")).isEqualTo(text);
    }

    @Test
    void writesNumbersAndBooleansSoTheyReadBackTheSame() {
        Map<?, ?> tree = (Map<?, ?>) yaml.load("a: 0x1F\nb: 1e3\nc: y\nd: .inf\ne: 18446744073709551615\nf: -9223372036854775808\n");

        assertThat(yaml.load(yaml.dump(tree))).isEqualTo(tree);
    }

    @Test
    void escapesControlCharactersInsteadOfWritingBinary() {
        String text = "\u001b[31mred\u001b[0m\u0007";

        String out = yaml.dump(Map.of("k", text));

        assertThat(out).doesNotContain("!!binary").startsWith("k: \"");
        assertThat(yaml.load(out)).isEqualTo(Map.of("k", text));
    }

    @Test
    void readsNestingAsDeepAsKubectlDoes() {
        int depth = 1_000;
        String text = "a: ".repeat(1) + "[".repeat(depth) + "]".repeat(depth) + "\n";

        Object tree = yaml.load(text);

        int levels = 0;
        for (Object at = ((Map<?, ?>) tree).get("a"); at instanceof java.util.List<?> l && !l.isEmpty(); at = l.get(0)) {
            levels++;
        }
        assertThat(levels).isEqualTo(depth - 1);
    }

    @Test
    void namesTheLineOfAControlCharacter() {
        assertThatThrownBy(() -> yaml.load("a: 1\nb: x\u0001y\n"))
                .isInstanceOf(MarkedYAMLException.class)
                .hasMessageContaining("U+0001")
                .satisfies(e -> assertThat(((MarkedYAMLException) e).getProblemMark().getLine()).isEqualTo(1));
    }

    @Test
    void unicodeLineBreaksAreEscapedSoTheyStayWhatTheyWere() {
        String text = "x\u0085y\u2028z\u2029";

        String out = yaml.dump(Map.of("k", text));

        assertThat(out).isEqualTo("k: \"x\\Ny\\Lz\\P\"\n");
        assertThat(yaml.load(out)).isEqualTo(Map.of("k", text));
    }

    @Test
    void aMergeKeyMergesButAMergeValueIsText() {
        Map<?, ?> m = (Map<?, ?>) yaml.load("base: &b {x: 1}\nm:\n  <<: *b\n  z: 2\nv: <<\nl: [<<]\n");

        assertThat(m.get("m")).isEqualTo(Map.of("x", 1, "z", 2));
        assertThat(m.get("v")).isEqualTo("<<");
        assertThat(m.get("l")).isEqualTo(java.util.List.of("<<"));
        assertThat(yaml.dump(Map.of("v", "<<"))).isEqualTo("v: '<<'\n");
    }
}
