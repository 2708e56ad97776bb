package io.sidecarinitializer.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Splitting a stream at its {@code ---} lines keeps every byte, so documents kube-inject leaves alone are
 * written back exactly. CRLF input is split like LF input and keeps its CRLF; the split never normalises
 * line endings (an injected document is re-serialised with LF, see ManifestRewriter).
 */
class YamlDocumentsTest {

    static Stream<Arguments> streams() {
        return Stream.of(
                Arguments.of("empty", ""),
                Arguments.of("one document", "a: 1\n"),
                Arguments.of("no trailing newline", "a: 1\n---\nb: 2"),
                Arguments.of("leading separator", "---\na: 1\n---\nb: 2\n"),
                Arguments.of("trailing separator", "a: 1\n---\n"),
                Arguments.of("only a separator", "---\n"),
                Arguments.of("empty documents", "---\n---\n\n---\na: 1\n---\n---\n"),
                Arguments.of("comments", "# head\na: 1 # tail\n---\n# only a comment\n---\nb: 2\n"),
                Arguments.of("separator with a comment", "a: 1\n--- # second\nb: 2\n---\t# third\nc: 3\n"),
                Arguments.of("separator with trailing blanks", "a: 1\n---   \nb: 2\n"),
                Arguments.of("document end marker", "a: 1\n...\n---\nb: 2\n"),
                Arguments.of("dashes inside a block scalar", "data:\n  x: |\n    ---\n    not a separator\n---\nb: 2\n"),
                Arguments.of("four dashes", "a: |\n  x\n----\n"),
                Arguments.of("CRLF", "a: 1\r\n---\r\nb: 2\r\n---\r\n"),
                Arguments.of("CRLF without trailing newline", "---\r\na: 1\r\n---\r\nb: 2"),
                Arguments.of("blank lines only", "\n\n\n"),
                Arguments.of("unicode", "name: \"café ☕\"\n---\nname: 日本\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streams")
    void concatenatingTheDocumentsGivesBackEveryByte(String name, String text) {
        List<RawDocument> docs = YamlDocuments.split(text);

        assertThat(docs).isNotEmpty();
        assertThat(docs.stream().map(RawDocument::text).collect(Collectors.joining())).isEqualTo(text);
        assertThat(docs).extracting(RawDocument::number).containsExactlyElementsOf(
                Stream.iterate(1, i -> i + 1).limit(docs.size()).toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streams")
    void eachDocumentStartsOnTheLineItsNumberSays(String name, String text) {
        String[] lines = text.split("\n", -1);
        for (RawDocument doc : YamlDocuments.split(text)) {
            if (!doc.body().isEmpty()) {
                String firstLine = lines[doc.firstLine() - 1];
                assertThat(doc.body()).as("document %d", doc.number()).startsWith(firstLine);
            }
        }
    }

    private static List<Object> view(RawDocument d) {
        return List.of(d.number(), d.firstLine(), d.separator(), d.body());
    }

    private static List<Object> doc(int number, int firstLine, String separator, String body) {
        return List.of(number, firstLine, separator, body);
    }

    @Test
    void splitsAtSeparatorLinesAndRemembersThem() {
        List<RawDocument> docs = YamlDocuments.split("# intro\na: 1\n--- # the second\nb: 2\n\n---\nc: 3\n");

        assertThat(docs).hasSize(3);
        assertThat(view(docs.get(0))).isEqualTo(doc(1, 1, "", "# intro\na: 1\n"));
        assertThat(view(docs.get(1))).isEqualTo(doc(2, 4, "--- # the second\n", "b: 2\n\n"));
        assertThat(view(docs.get(2))).isEqualTo(doc(3, 7, "---\n", "c: 3\n"));
    }

    @Test
    void aLeadingSeparatorOpensTheFirstDocument() {
        List<RawDocument> docs = YamlDocuments.split("---\na: 1\n");

        assertThat(docs).extracting(YamlDocumentsTest::view).containsExactly(doc(1, 2, "---\n", "a: 1\n"));
    }

    @Test
    void aTrailingSeparatorOpensAnEmptyBlankDocument() {
        List<RawDocument> docs = YamlDocuments.split("a: 1\n---\n");

        assertThat(docs).hasSize(2);
        assertThat(docs.get(1).body()).isEmpty();
        assertThat(docs.get(1).isBlank()).isTrue();
    }

    @Test
    void crlfSeparatorsSplitTooAndKeepTheirLineEndings() {
        List<RawDocument> docs = YamlDocuments.split("a: 1\r\n---\r\nb: 2\r\n");

        assertThat(docs).extracting(YamlDocumentsTest::view).containsExactly(
                doc(1, 1, "", "a: 1\r\n"),
                doc(2, 3, "---\r\n", "b: 2\r\n"));
    }

    @Test
    void onlyDashesAtTheStartOfALineSeparate() {
        assertThat(YamlDocuments.split("a: |\n  ---\n  text\n")).hasSize(1);
        assertThat(YamlDocuments.split("a: 1\n----\n")).hasSize(1);
        assertThat(YamlDocuments.split("a: 1\n---x\n")).hasSize(1);
    }

    @Test
    void blankMeansOnlyWhitespaceCommentsAndEndMarkers() {
        assertThat(YamlDocuments.split("\n  \n# c\n...\n").get(0).isBlank()).isTrue();
        assertThat(YamlDocuments.split("---\n").get(0).isBlank()).isTrue();
        assertThat(YamlDocuments.split("# c\na: 1\n").get(0).isBlank()).isFalse();
        assertThat(YamlDocuments.split("\r\n# c\r\n").get(0).isBlank()).isTrue();
    }

    @Test
    void everyNonBlankDocumentParsesAlone() {
        String stream = "# Service\napiVersion: v1\nkind: Service\n--- # cm\napiVersion: v1\nkind: ConfigMap\ndata:\n  x: |\n    ---\n---\n";
        KubeYaml yaml = new KubeYaml();

        List<Object> parsed = YamlDocuments.split(stream).stream().filter(d -> !d.isBlank()).map(d -> yaml.load(d.body())).toList();

        assertThat(parsed).hasSize(2).allSatisfy(p -> assertThat(p).isInstanceOf(Map.class));
    }

    @Test
    void keepsBytesThatAreNotUtf8AndSaysOnWhichLineTheyAre() {
        byte[] latin1 = "a: 1\n---\nb: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);

        List<RawDocument> docs = YamlDocuments.split(latin1);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        docs.forEach(d -> d.writeTo(out));
        assertThat(out.toByteArray()).isEqualTo(latin1);
        assertThat(docs.get(0).firstNonUtf8Line()).isZero();
        assertThat(docs.get(1).firstNonUtf8Line()).isEqualTo(3);
    }

    @Test
    void aByteOrderMarkAloneIsBlank() {
        assertThat(YamlDocuments.split("\uFEFF\n# c\n").get(0).isBlank()).isTrue();
        assertThat(YamlDocuments.split("\uFEFFa: 1\n").get(0).isBlank()).isFalse();
    }
}
