package io.sidecarinitializer.yaml;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes documents that carry the same list entries again and again (kube-inject adds the same sidecar
 * containers and volumes to every workload) by writing each distinct entry once and splicing its text in.
 *
 * <p>The caller puts {@link #standIn(Object)} into the tree in place of an entry; {@link #dump} writes the tree
 * with {@link KubeYaml} and replaces each stand-in's line, {@code <indent>- <stand-in>}, with the entry's text
 * shifted to that indent. Block style with a fixed indent step and no line folding makes an entry's text the
 * same at every depth up to that shift, so the result is exactly what {@link KubeYaml#dump} writes for the tree
 * with the entries themselves. Not thread-safe, like {@link KubeYaml}.
 *
 * <p>Stand-ins go into a tree between two dumps: a dump may forget every stand-in handed out before it (to bound
 * memory), and a forgotten one is an error when met, never another entry's text.
 */
public final class EntrySplicer {
    /** Bounds the memory of a run over many workloads that all differ (each entry is about 1 kB of text). */
    private static final int MAX_ENTRIES = 4096;

    private final KubeYaml yaml;
    /**
     * Random per instance, so no manifest contains a stand-in by chance (not SecureRandom, which costs kube-inject
     * tens of milliseconds of start-up; a forged one can only make the run fail, see {@link #dump}).
     */
    private final String prefix;
    private final Map<Object, String> standIns = new HashMap<>();
    /** Stand-in → the entry written as the only item of a top-level sequence: {@code - name: …}. */
    private final Map<String, String> texts = new HashMap<>();
    /** Stand-in and indent → that text with every non-empty line shifted right by the indent. */
    private final Map<String, String> shifted = new HashMap<>();
    private final StringBuilder scratch = new StringBuilder();
    /** Never reused, so a forgotten stand-in cannot name a newer entry. */
    private long next;

    public EntrySplicer(KubeYaml yaml) {
        this.yaml = yaml;
        this.prefix = "sidecar-initializer-entry-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + "-";
    }

    /**
     * The scalar to put into the tree in place of {@code entry}; equal entries get the same one. The entry must
     * not change afterwards.
     */
    public Object standIn(Object entry) {
        String standIn = standIns.get(entry);
        if (standIn == null) {
            standIn = prefix + next++;
            standIns.put(entry, standIn);
            texts.put(standIn, yaml.dump(List.of(entry)));
        }
        return standIn;
    }

    /** Appends what {@link KubeYaml#dump(Object, StringBuilder)} would for the tree with the stand-ins' entries. */
    public void dump(Object tree, StringBuilder out) {
        scratch.setLength(0);
        yaml.dump(tree, scratch);
        int copied = 0;
        int at = scratch.indexOf(prefix);
        while (at >= 0) {
            int lineStart = scratch.lastIndexOf("\n", at) + 1;
            int lineEnd = scratch.indexOf("\n", at);
            int indent = at - 2 - lineStart;
            String standIn = lineEnd < 0 ? null : scratch.substring(at, lineEnd);
            String text = standIn == null ? null : texts.get(standIn);
            if (text == null || indent < 0 || !isIndentedDash(lineStart, indent)) {
                throw new IllegalStateException("stand-in not written as a block sequence entry: line "
                        + scratch.substring(lineStart, lineEnd < 0 ? scratch.length() : lineEnd));
            }
            out.append(scratch, copied, lineStart).append(shift(standIn, text, indent));
            copied = lineEnd + 1;
            at = scratch.indexOf(prefix, copied);
        }
        out.append(scratch, copied, scratch.length());
        if (standIns.size() > MAX_ENTRIES) {
            standIns.clear();
            texts.clear();
            shifted.clear();
        }
        if (scratch.length() > 1 << 20) {
            scratch.setLength(0);
            scratch.trimToSize(); // one huge document must not pin its buffer for the rest of the run
        }
    }

    private boolean isIndentedDash(int lineStart, int indent) {
        for (int i = lineStart; i < lineStart + indent; i++) {
            if (scratch.charAt(i) != ' ') {
                return false;
            }
        }
        return scratch.charAt(lineStart + indent) == '-' && scratch.charAt(lineStart + indent + 1) == ' ';
    }

    private String shift(String standIn, String text, int indent) {
        if (indent == 0) {
            return text;
        }
        return shifted.computeIfAbsent(standIn + '@' + indent, k -> {
            String pad = " ".repeat(indent);
            StringBuilder sb = new StringBuilder(text.length() + 16 * indent);
            for (String line : text.split("\n", -1)) {
                if (!line.isEmpty()) {
                    sb.append(pad).append(line);
                }
                sb.append('\n');
            }
            sb.setLength(sb.length() - 1); // the text ends in a newline: split gave a last, empty piece
            return sb.toString();
        });
    }

    /** How many distinct entries are remembered; for tests. */
    int size() {
        return standIns.size();
    }
}
