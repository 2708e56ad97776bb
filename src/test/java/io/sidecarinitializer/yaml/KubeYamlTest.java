package io.sidecarinitializer.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
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
        Object tree = yaml.load("spec: {containers: [{name: a, args: [x, y]}], empty: {}, none: []}");

        assertThat(yaml.dump(tree)).isEqualTo("spec:\n  containers:\n  - name: a\n    args:\n    - x\n    - y\n  empty: {}\n  none: []\n");
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
}
