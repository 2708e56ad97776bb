package io.sidecarinitializer.yaml;

import java.io.Writer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.representer.Represent;
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
    /** Writes with the standard resolver so a timestamp-like string is quoted and stays a string for YAML 1.1 readers. */
    private final Yaml dumper;

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
        Representer representer = new FastStringRepresenter(dumping);
        representer.addClassTag(java.util.LinkedHashMap.class, Tag.MAP);
        yaml = new Yaml(new SafeConstructor(loading), representer, dumping, loading, new NoTimestampResolver());
        dumper = new Yaml(new SafeConstructor(loading), representer, dumping, loading, new CachingResolver());
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
        return dumper.dump(document);
    }

    /** Appends exactly what {@link #dump(Object)} returns, without its intermediate buffer and string. */
    public void dump(Object document, StringBuilder out) {
        dumper.dump(document, new StringBuilderWriter(out));
    }

    /** A StringWriter without the synchronized StringBuffer, over the caller's builder. */
    private static final class StringBuilderWriter extends Writer {
        private final StringBuilder out;

        StringBuilderWriter(StringBuilder out) {
            this.out = out;
        }

        @Override
        public void write(int c) {
            out.append((char) c);
        }

        @Override
        public void write(char[] chars, int offset, int length) {
            out.append(chars, offset, length);
        }

        @Override
        public void write(String text) {
            out.append(text);
        }

        @Override
        public void write(String text, int offset, int length) {
            out.append(text, offset, offset + length);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    /**
     * SnakeYAML's string representer runs a line-break regex on every string. A printable one-line string, nearly
     * every string in a manifest, ends up a STR scalar in the default style, so decide that with a scan and leave
     * every other string to SnakeYAML.
     */
    private static final class FastStringRepresenter extends Representer {
        FastStringRepresenter(DumperOptions options) {
            super(options);
            Represent snakeYaml = representers.get(String.class);
            representers.put(String.class, data -> {
                String value = (String) data;
                return isOneLine(value) && StreamReader.isPrintable(value)
                        ? representScalar(Tag.STR, value, defaultScalarStyle)
                        : snakeYaml.representData(data);
            });
        }

        /** No line break as SnakeYAML's multi-line pattern counts them. */
        private static boolean isOneLine(String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Resolution is a pure function of the scalar, and manifests repeat scalars (keys, images, the sidecar's
     * flags), so remember the answers instead of running SnakeYAML's regular expressions on every one.
     */
    private static class CachingResolver extends Resolver {
        private static final int MAX_CACHED_LENGTH = 128;
        private static final int MAX_CACHED = 8192;
        private final Map<String, Tag> implicitTags = new HashMap<>();

        @Override
        public Tag resolve(NodeId kind, String value, boolean implicit) {
            if (kind != NodeId.scalar || !implicit || value.length() > MAX_CACHED_LENGTH) {
                return super.resolve(kind, value, implicit);
            }
            Tag tag = implicitTags.get(value);
            if (tag == null) {
                tag = super.resolve(kind, value, true);
                if (implicitTags.size() >= MAX_CACHED) {
                    implicitTags.clear();
                }
                implicitTags.put(value, tag);
            }
            return tag;
        }
    }

    /** YAML 1.1 resolution as kubectl does it, minus timestamps. */
    private static final class NoTimestampResolver extends CachingResolver {
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
