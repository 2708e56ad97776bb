package io.sidecarinitializer.yaml;

import java.math.BigInteger;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * What a plain (unquoted) scalar means to kubectl, which reads YAML with Go's yaml.v2 through
 * {@code sigs.k8s.io/yaml}: YAML 1.1 booleans ({@code y}, {@code n}, {@code on}, {@code off}, in the cases yaml.v2
 * lists), nulls, Go's integer forms ({@code 0x1F}, {@code 0o17}, {@code 0b101}, {@code 017}, {@code 1_000}) and
 * floats ({@code .5}, {@code 1e3}, {@code .inf}); no base-60 numbers ({@code 22:30} is a string) and no timestamps.
 * This mirrors yaml.v2's {@code resolve()} step for step.
 */
final class GoYamlScalars {
    private static final Map<String, Object> WORDS = words();
    private static final Pattern YAML_STYLE_FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    private static final Pattern DOT_FLOAT = Pattern.compile("\\.[0-9]+([eE][-+]?[0-9]+)?");
    private static final BigInteger MAX_UINT64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    /** The value for a scalar that is a string; never equal to a parsed value. */
    static final Object STRING = new Object();

    private GoYamlScalars() {}

    /** The tag yaml.v2 gives this plain scalar. */
    static Tag tag(String plain) {
        Object v = value(plain);
        if (v == STRING) {
            return Tag.STR;
        }
        if (v == null) {
            return Tag.NULL;
        }
        if (v instanceof Boolean) {
            return Tag.BOOL;
        }
        return v instanceof Double ? Tag.FLOAT : Tag.INT;
    }

    /**
     * The value of a plain scalar: null, a Boolean, an Integer, Long or BigInteger (uint64 above Long's range), a
     * Double, or {@link #STRING}.
     */
    static Object value(String plain) {
        char hint = plain.isEmpty() ? 'N' : plain.charAt(0);
        if (!isHint(hint)) {
            return STRING; // the fast path for nearly every scalar of a manifest
        }
        if (WORDS.containsKey(plain)) {
            return WORDS.get(plain);
        }
        if (hint == '.') {
            return DOT_FLOAT.matcher(plain).matches() ? finite(plain) : STRING;
        }
        if (hint == '+' || hint == '-' || (hint >= '0' && hint <= '9')) {
            return number(plain.replace("_", ""));
        }
        return STRING;
    }

    private static boolean isHint(char c) {
        return (c >= '0' && c <= '9') || "+-.~yYnNtTfFoO".indexOf(c) >= 0;
    }

    /** Go's strconv.ParseInt(s, 0, 64), then ParseUint, then a decimal float. */
    private static Object number(String s) {
        BigInteger n = goInteger(s);
        if (n != null) {
            if (n.bitLength() < 32) {
                return n.intValue();
            }
            if (n.bitLength() < 64) {
                return n.longValue();
            }
            if (n.signum() > 0 && n.compareTo(MAX_UINT64) <= 0) {
                return n;
            }
        }
        return YAML_STYLE_FLOAT.matcher(s).matches() ? finite(s) : STRING;
    }

    /** Base prefix 0x, 0o, 0b (any case) or a leading 0 for octal, as Go's base 0; null when not an integer. */
    private static BigInteger goInteger(String s) {
        int at = 0;
        boolean negative = false;
        if (s.startsWith("+") || s.startsWith("-")) {
            negative = s.charAt(0) == '-';
            at = 1;
        }
        int radix = 10;
        if (s.length() > at + 1 && s.charAt(at) == '0') {
            char p = Character.toLowerCase(s.charAt(at + 1));
            radix = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
            at += p == 'x' || p == 'o' || p == 'b' ? 2 : 1;
        }
        if (at >= s.length()) {
            return null;
        }
        for (int i = at; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 'z' || Character.digit(c, radix) < 0) { // ASCII digits only, unlike Character.digit
                return null;
            }
        }
        BigInteger n = new BigInteger(s.substring(at), radix);
        return negative ? n.negate() : n;
    }

    /** Go's ParseFloat fails with a range error beyond float64, and yaml.v2 then keeps the text as a string. */
    private static Object finite(String s) {
        double d = Double.parseDouble(s);
        return Double.isInfinite(d) ? STRING : (Object) d;
    }

    private static Map<String, Object> words() {
        Map<String, Object> m = new HashMap<>();
        for (String w : new String[] {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
            m.put(w, Boolean.TRUE);
        }
        for (String w : new String[] {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
            m.put(w, Boolean.FALSE);
        }
        for (String w : new String[] {"", "~", "null", "Null", "NULL"}) {
            m.put(w, null);
        }
        for (String w : new String[] {".nan", ".NaN", ".NAN"}) {
            m.put(w, Double.NaN);
        }
        for (String w : new String[] {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
            m.put(w, Double.POSITIVE_INFINITY);
        }
        for (String w : new String[] {"-.inf", "-.Inf", "-.INF"}) {
            m.put(w, Double.NEGATIVE_INFINITY);
        }
        return Collections.unmodifiableMap(m); // Map.copyOf refuses the null values
    }
}
