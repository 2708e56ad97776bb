package io.sidecarinitializer.yaml;

import java.util.function.Function;
import org.yaml.snakeyaml.scanner.ScannerException;

/**
 * kubectl's reader takes a tab between two tokens of a line ({@code apiVersion:<TAB>apps/v1}); SnakeYAML's scanner
 * refuses a tab wherever a token may start. Such a tab only separates, so it is read as a space; a tab that indents
 * stays an error, as it is for kubectl.
 */
final class SeparatingTabs {
    /** How many separating tabs one document may have before we give up and report the first (each is a re-read). */
    private static final int MAX = 100;

    private SeparatingTabs() {}

    /** Reads {@code text}, and again with each refused separating tab as a space. */
    static <T> T read(String text, Function<String, T> reader) {
        String current = text;
        for (int tabs = 0; ; tabs++) {
            try {
                return reader.apply(current);
            } catch (ScannerException e) {
                int at = tabs < MAX ? refusedTab(current, e) : -1;
                if (at < 0) {
                    throw e;
                }
                current = current.substring(0, at) + ' ' + current.substring(at + 1);
            }
        }
    }

    /** The char index of the tab the scanner refused, when something precedes it on its line; else -1. */
    private static int refusedTab(String text, ScannerException e) {
        if (e.getProblemMark() == null || e.getProblem() == null || !e.getProblem().contains("cannot start any token")) {
            return -1;
        }
        int at = text.offsetByCodePoints(0, Math.min(e.getProblemMark().getIndex(), text.codePointCount(0, text.length())));
        if (at >= text.length() || text.charAt(at) != '\t') {
            return -1;
        }
        int lineStart = text.lastIndexOf('\n', at) + 1;
        return text.substring(lineStart, at).isBlank() ? -1 : at;
    }
}
