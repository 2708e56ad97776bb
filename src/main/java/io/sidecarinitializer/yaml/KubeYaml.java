package io.sidecarinitializer.yaml;

import java.io.Writer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.Construct;
import org.yaml.snakeyaml.constructor.ConstructorException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.representer.Represent;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * SnakeYAML set up the way Kubernetes manifests need: scalars mean what they mean to kubectl (Go's yaml.v2, see
 * {@link GoYamlScalars}), mappings keep their key order, duplicate keys are errors, and output is block style with
 * kubectl's list indentation, quoting every string that a YAML 1.1 reader would take for something else.
 * Instances are not thread-safe; make one per thread.
 */
public final class KubeYaml {
    private static final int MAX_DOCUMENT_CODE_POINTS = Integer.MAX_VALUE;
    /** yaml.v2, which kubectl reads with, stops at 10000 levels of indentation or flow nesting. */
    public static final int MAX_NESTING_DEPTH = 10_000;

    private final LoaderOptions loading;
    private final Resolver resolver = new GoResolver();
    private final GoConstructor constructor;
    private final Yaml dumper;

    public KubeYaml() {
        loading = new LoaderOptions();
        loading.setAllowDuplicateKeys(false);
        loading.setCodePointLimit(MAX_DOCUMENT_CODE_POINTS);
        loading.setMaxAliasesForCollections(100);
        loading.setNestingDepthLimit(MAX_NESTING_DEPTH);
        constructor = new GoConstructor(loading);
        constructor.setAllowDuplicateKeys(false); // the Yaml facade copies this from the options; we build the pipeline ourselves
        DumperOptions dumping = new DumperOptions();
        dumping.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        dumping.setIndent(2);
        dumping.setIndicatorIndent(0);
        dumping.setWidth(Integer.MAX_VALUE);
        dumping.setSplitLines(false);
        Representer representer = new FastStringRepresenter(dumping);
        representer.addClassTag(java.util.LinkedHashMap.class, Tag.MAP);
        dumper = new Yaml(new SafeConstructor(loading), representer, dumping, loading, new QuotingResolver());
    }

    /** Parses one YAML (or JSON) document; an empty document gives null. */
    public Object load(String text) {
        return SeparatingTabs.read(text, document -> {
            constructor.setComposer(composer(document));
            return constructor.getSingleData(Object.class);
        });
    }

    /** Parses every document of a stream. */
    public List<Object> loadAll(String text) {
        return SeparatingTabs.read(text, stream -> {
            constructor.setComposer(composer(stream));
            List<Object> docs = new ArrayList<>();
            while (constructor.checkData()) {
                docs.add(constructor.getData());
            }
            return docs;
        });
    }

    /**
     * The 0-based line of the field at a dotted path such as {@code spec.template.spec.containers[0]} in a document
     * (YAML or JSON), for messages; where the path ends early, the line of the last part found; -1 when the text
     * does not parse.
     */
    public int lineOf(String text, String path) {
        Node node;
        try {
            node = SeparatingTabs.read(text, document -> composer(document).getSingleNode());
        } catch (YAMLException e) {
            return -1;
        }
        int line = node == null ? -1 : node.getStartMark().getLine();
        for (String step : path.split("\\.|(?=\\[)")) {
            Node next = null;
            if (step.startsWith("[") && node instanceof SequenceNode seq) {
                int index = Integer.parseInt(step.substring(1, step.length() - 1));
                next = index < seq.getValue().size() ? seq.getValue().get(index) : null;
                line = next == null ? line : next.getStartMark().getLine();
            } else if (node instanceof MappingNode map) {
                for (NodeTuple entry : map.getValue()) {
                    if (entry.getKeyNode() instanceof ScalarNode key && key.getValue().equals(step)) {
                        next = entry.getValueNode();
                        line = key.getStartMark().getLine();
                    }
                }
            }
            if (next == null) {
                break;
            }
            node = next;
        }
        return line;
    }

    private Composer composer(String text) {
        return new Composer(new ParserImpl(new DocumentReader(text), loading), resolver, loading);
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
     * multi-line strings to SnakeYAML.
     */
    private static final class FastStringRepresenter extends Representer {
        FastStringRepresenter(DumperOptions options) {
            super(options);
            Represent snakeYaml = representers.get(String.class);
            representers.put(String.class, data -> {
                String value = (String) data;
                if (!StreamReader.isPrintable(value) || hasUnicodeLineBreak(value)) {
                    // SnakeYAML would write !!binary (kubectl reads base64 text) or a block scalar in which NEL, LS
                    // and PS end lines (kubectl reads a newline): escape them instead.
                    return representScalar(Tag.STR, value, DumperOptions.ScalarStyle.DOUBLE_QUOTED);
                }
                return isOneLine(value) ? representScalar(Tag.STR, value, defaultScalarStyle) : snakeYaml.representData(data);
            });
        }

        private static boolean hasUnicodeLineBreak(String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\u0085' || c == '\u2028' || c == '\u2029') {
                    return true;
                }
            }
            return false;
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

    /** Reads plain scalars as yaml.v2 does. */
    private static final class GoResolver extends Resolver {
        @Override
        protected void addImplicitResolvers() {
            // resolve() below replaces SnakeYAML's regular expressions
        }

        @Override
        public Tag resolve(NodeId kind, String value, boolean implicit) {
            if (kind != NodeId.scalar || !implicit) {
                return super.resolve(kind, value, implicit);
            }
            return value.equals("<<") ? Tag.MERGE : GoYamlScalars.tag(value);
        }
    }

    /** Builds booleans, numbers and nulls with yaml.v2's values ({@code y}, {@code 0o17}, {@code .5}). */
    private static final class GoConstructor extends SafeConstructor {
        GoConstructor(LoaderOptions options) {
            super(options);
            Construct scalar = new AbstractConstruct() {
                @Override
                public Object construct(Node node) {
                    String text = constructScalar((ScalarNode) node);
                    Object value = GoYamlScalars.value(text);
                    if (value == GoYamlScalars.STRING) {
                        throw new ConstructorException(null, null, "'" + text + "' is not a valid " + node.getTag(), node.getStartMark()) { };
                    }
                    return value;
                }
            };
            yamlConstructors.put(Tag.BOOL, scalar);
            yamlConstructors.put(Tag.INT, scalar);
            yamlConstructors.put(Tag.FLOAT, scalar);
            // "<<" merges only as a key (SnakeYAML does that before constructing); as a value it is text, as in yaml.v2.
            yamlConstructors.put(Tag.MERGE, new AbstractConstruct() {
                @Override
                public Object construct(Node node) {
                    return constructScalar((ScalarNode) node);
                }
            });
        }
    }

    /**
     * Writes plain only what reads back as a string both for yaml.v2 (kubectl) and for other YAML 1.1 readers, so
     * {@code "y"}, {@code "0o17"} and {@code "2017-10-10"} come out quoted; answers are remembered since
     * manifests repeat their scalars.
     */
    private static final class QuotingResolver extends Resolver {
        private static final int MAX_CACHED_LENGTH = 128;
        private static final int MAX_CACHED = 8192;
        private final Map<String, Tag> implicitTags = new HashMap<>();

        @Override
        public Tag resolve(NodeId kind, String value, boolean implicit) {
            if (kind != NodeId.scalar || !implicit) {
                return super.resolve(kind, value, implicit);
            }
            if (value.length() > MAX_CACHED_LENGTH) {
                return tag(value);
            }
            Tag tag = implicitTags.get(value);
            if (tag == null) {
                tag = tag(value);
                if (implicitTags.size() >= MAX_CACHED) {
                    implicitTags.clear();
                }
                implicitTags.put(value, tag);
            }
            return tag;
        }

        private Tag tag(String value) {
            Tag go = GoYamlScalars.tag(value);
            return go.equals(Tag.STR) ? super.resolve(NodeId.scalar, value, true) : go;
        }
    }
}
