package io.sidecarinitializer.yaml;

import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.scanner.Constant;

/**
 * SnakeYAML's character source over a document already in memory. SnakeYAML's own reader refills a 1 kB window
 * by copying all of it that the current token spans, which makes a long scalar (a ConfigMap holding a file)
 * quadratic: 86 s for a 20 MB value. Here every peek is an array index, and the printable check runs once.
 */
final class DocumentReader extends StreamReader {
    private final int[] text;
    private int pointer;
    private int index;
    private int documentIndex;
    private int line;
    private int column;

    DocumentReader(String document) {
        super("");
        this.text = document.codePoints().toArray();
        checkPrintable();
    }

    /** Like SnakeYAML's reader, refuses control characters; unlike it, says where they are. */
    private void checkPrintable() {
        int atLine = 0;
        int atColumn = 0;
        for (int i = 0; i < text.length; i++) {
            int c = text[i];
            if (!isPrintable(c)) {
                Mark mark = new Mark("<document>", i, atLine, atColumn, text, i);
                throw new UnprintableCharacterException(String.format(
                        "character U+%04X is not allowed in YAML text (write it as an escape in a double-quoted string)", c), mark);
            }
            if (c == '\n') {
                atLine++;
                atColumn = 0;
            } else {
                atColumn++;
            }
        }
    }

    @Override
    public Mark getMark() {
        return new Mark("<document>", index, line, column, text, pointer);
    }

    @Override
    public void forward() {
        forward(1);
    }

    @Override
    public void forward(int length) {
        for (int i = 0; i < length && pointer < text.length; i++) {
            int c = text[pointer++];
            index++;
            documentIndex++;
            if (Constant.LINEBR.has(c) || (c == '\r' && pointer < text.length && text[pointer] != '\n')) {
                line++;
                column = 0;
            } else if (c != 0xFEFF) {
                column++;
            }
        }
    }

    @Override
    public int peek() {
        return pointer < text.length ? text[pointer] : '\0';
    }

    @Override
    public int peek(int offset) {
        return pointer + offset < text.length ? text[pointer + offset] : '\0';
    }

    @Override
    public String prefix(int length) {
        return new String(text, pointer, Math.min(length, text.length - pointer));
    }

    /** Only called for runs without line breaks, as in SnakeYAML's reader. */
    @Override
    public String prefixForward(int length) {
        String prefix = prefix(length);
        pointer += length;
        index += length;
        documentIndex += length;
        column += length;
        return prefix;
    }

    @Override
    public int getColumn() {
        return column;
    }

    @Override
    public int getDocumentIndex() {
        return documentIndex;
    }

    @Override
    public void resetDocumentIndex() {
        documentIndex = 0;
    }

    @Override
    public int getIndex() {
        return index;
    }

    @Override
    public int getLine() {
        return line;
    }

    /** A character YAML text may not hold, with the line and column where it is. */
    static final class UnprintableCharacterException extends MarkedYAMLException {
        private static final long serialVersionUID = 1L;

        UnprintableCharacterException(String problem, Mark mark) {
            super(null, null, problem, mark, (String) null);
        }
    }
}
