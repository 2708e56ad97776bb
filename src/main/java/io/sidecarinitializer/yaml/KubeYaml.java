package io.sidecarinitializer.yaml;

import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * SnakeYAML set up the way Kubernetes manifests need: mappings keep their key order, duplicate keys are
 * errors, dates stay strings (kubectl does not turn {@code 2017-01-01} into a timestamp), and output is
 * block style with kubectl's list indentation. Instances are not thread-safe; make one per thread.
 */
public final class KubeYaml {
    private static final int MAX_DOCUMENT_CODE_POINTS = 256 * 1024 * 1024;

    private final Yaml yaml;

    public KubeYaml() {
        LoaderOptions loading = new LoaderOptions();
        loading.setAllowDuplicateKeys(false);
        loading.setCodePointLimit(MAX_DOCUMENT_CODE_POINTS);
        loading.setMaxAliasesForCollections(100);
        DumperOptions dumping = new DumperOptions();
        dumping.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        dumping.setIndent(2);
        dumping.setIndicatorIndent(0);
        dumping.setWidth(Integer.MAX_VALUE);
        dumping.setSplitLines(false);
        Representer representer = new Representer(dumping);
        representer.addClassTag(java.util.LinkedHashMap.class, Tag.MAP);
        yaml = new Yaml(new SafeConstructor(loading), representer, dumping, loading, new NoTimestampResolver());
    }

    /** Parses one YAML (or JSON) document; an empty document gives null. */
    public Object load(String text) {
        return yaml.load(text);
    }

    /** Parses every document of a stream. */
    public List<Object> loadAll(String text) {
        List<Object> docs = new ArrayList<>();
        for (Object doc : yaml.loadAll(text)) {
            docs.add(doc);
        }
        return docs;
    }

    /** Writes one document, ending in a newline. */
    public String dump(Object document) {
        return yaml.dump(document);
    }

    /** YAML 1.1 resolution as kubectl does it, minus timestamps. */
    private static final class NoTimestampResolver extends Resolver {
        @Override
        protected void addImplicitResolvers() {
            addImplicitResolver(Tag.BOOL, BOOL, "yYnNtTfFoO");
            addImplicitResolver(Tag.INT, INT, "-+0123456789");
            addImplicitResolver(Tag.FLOAT, FLOAT, "-+0123456789.");
            addImplicitResolver(Tag.MERGE, MERGE, "<");
            addImplicitResolver(Tag.NULL, NULL, "~nN\0");
            addImplicitResolver(Tag.NULL, EMPTY, null);
        }
    }
}
