package io.sidecarinitializer.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Splicing entries in must write exactly what dumping the tree with the entries in it writes. */
class EntrySplicerTest {
    private final KubeYaml yaml = new KubeYaml();
    private final EntrySplicer splicer = new EntrySplicer(yaml);

    private static final String PROXY = """
            name: istio-proxy
            image: docker.io/istio/proxy:0.2.6
            args: [proxy, sidecar, -v, '2', --serviceCluster, 'on']
            env:
            - name: POD_NAME
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
            securityContext: {runAsUser: 1337, privileged: false}
            empty: {}
            none: []
            script: "first line\\n\\n  indented after a blank line\\nlast\\n"
            folded: "trailing spaces   \\nand a tab\\there"
            quoted: '2017-10-10'
            """;

    @Test
    void splicedOutputEqualsThePlainDumpAtEveryDepth() {
        String text = """
                kind: List
                items:
                - kind: Deployment
                  spec:
                    template:
                      spec:
                        containers:
                        - name: app
                          image: nginx
                        volumes: []
                - kind: Pod
                  spec:
                    containers: []
                top: []
                """;
        Map<String, Object> proxy = entry(PROXY);
        Map<String, Object> volume = entry("name: istio-envoy\nemptyDir: {medium: Memory}\n");

        Object withEntries = yaml.load(text);
        Object withStandIns = yaml.load(text);
        for (String path : List.of("items.0.spec.template.spec.containers", "items.0.spec.template.spec.volumes",
                "items.1.spec.containers", "top")) {
            list(withEntries, path).add(copy(proxy));
            list(withEntries, path).add(copy(volume));
            list(withStandIns, path).add(splicer.standIn(copy(proxy)));
            list(withStandIns, path).add(splicer.standIn(copy(volume)));
        }

        StringBuilder spliced = new StringBuilder("before\n");
        splicer.dump(withStandIns, spliced);

        assertThat(spliced.toString()).isEqualTo("before\n" + yaml.dump(withEntries));
        assertThat(yaml.load(spliced.substring("before\n".length()))).isEqualTo(withEntries);
    }

    @Test
    void equalEntriesShareOneStandInAndAreWrittenOnce() {
        Object a = splicer.standIn(entry(PROXY));
        Object b = splicer.standIn(entry(PROXY));
        Object c = splicer.standIn(entry("name: other\n"));

        assertThat(a).isEqualTo(b).isNotEqualTo(c);
        assertThat(splicer.size()).isEqualTo(2);
    }

    @Test
    void aTreeWithoutStandInsIsWrittenAsKubeYamlWritesIt() {
        Object tree = yaml.load("a:\n- x\n- y: z\nb: 'sidecar-initializer-entry-'\n");
        StringBuilder out = new StringBuilder();

        splicer.dump(tree, out);

        assertThat(out.toString()).isEqualTo(yaml.dump(tree));
    }

    @Test
    void standInsAreUniquePerSplicerSoAManifestCannotForgeOne() {
        EntrySplicer other = new EntrySplicer(yaml);
        Object mine = splicer.standIn(entry("name: x\n"));
        Object theirs = other.standIn(entry("name: x\n"));

        assertThat(mine).isNotEqualTo(theirs);
        // Another splicer's stand-in is only text to this one: it is written as it is.
        StringBuilder out = new StringBuilder();
        splicer.dump(Map.of("containers", List.of(theirs)), out);
        assertThat(out.toString()).isEqualTo("containers:\n- " + theirs + "\n");
    }

    @Test
    void aStandInOutsideABlockSequenceIsAnErrorNotWrongOutput() {
        Object standIn = splicer.standIn(entry("name: x\n"));

        assertThatThrownBy(() -> splicer.dump(Map.of("name", standIn), new StringBuilder()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("name: " + standIn);
    }

    @Test
    void forgetsOldEntriesWhenFullAndStillWritesCorrectly() {
        List<Object> withEntries = new ArrayList<>();
        List<Object> withStandIns = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            Map<String, Object> e = entry("name: c" + i + "\nimage: img\n");
            withEntries.add(e);
            withStandIns.add(splicer.standIn(copy(e)));
            if (i % 1000 == 999) { // dump before the oldest stand-ins are forgotten
                StringBuilder out = new StringBuilder();
                splicer.dump(Map.of("containers", withStandIns), out);
                assertThat(out.toString()).isEqualTo(yaml.dump(Map.of("containers", withEntries)));
                withEntries.clear();
                withStandIns.clear();
            }
        }
        assertThat(splicer.size()).isLessThanOrEqualTo(4097);
    }

    @Test
    void aForgottenStandInIsAnErrorNotAnotherEntrysText() {
        Object forgotten = splicer.standIn(entry("name: old\n"));
        for (int i = 0; i <= 4096; i++) {
            splicer.standIn(entry("name: c" + i + "\n"));
        }
        splicer.dump(Map.of(), new StringBuilder()); // over the bound: everything is forgotten
        Object fresh = splicer.standIn(entry("name: new\n"));

        assertThat(fresh).isNotEqualTo(forgotten);
        assertThatThrownBy(() -> splicer.dump(Map.of("containers", List.of(forgotten)), new StringBuilder()))
                .isInstanceOf(IllegalStateException.class);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> entry(String text) {
        return (Map<String, Object>) yaml.load(text);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> copy(Map<String, Object> entry) {
        return (Map<String, Object>) yaml.load(yaml.dump(entry));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object tree, String path) {
        Object node = tree;
        for (String key : path.split("\\.")) {
            node = node instanceof List<?> l ? l.get(Integer.parseInt(key)) : ((Map<String, Object>) node).get(key);
        }
        return (List<Object>) node;
    }
}
