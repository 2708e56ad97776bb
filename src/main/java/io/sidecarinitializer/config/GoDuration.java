package io.sidecarinitializer.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as Go writes and reads them ({@code 2s}, {@code 1m30s}, {@code 500ms}), because the proxy
 * parses its flags with Go's {@code time.ParseDuration}.
 */
public final class GoDuration {
    private static final Pattern PART = Pattern.compile("(\\d*)(?:\\.(\\d*))?(ns|us|µs|μs|ms|s|m|h)");
    private static final long SECOND = 1_000_000_000L;

    private GoDuration() {}

    /** Parses Go syntax into nanoseconds; returns null when the text is not a Go duration. */
    public static Long parse(String text) {
        String s = text.trim();
        if (s.isEmpty()) {
            return null;
        }
        boolean negative = s.startsWith("-");
        if (negative || s.startsWith("+")) {
            s = s.substring(1);
        }
        if (s.isEmpty()) {
            return null; // a sign alone, as Go's ParseDuration says, is not a duration
        }
        if (s.equals("0")) {
            return 0L;
        }
        Matcher m = PART.matcher(s);
        int at = 0;
        double total = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                return null;
            }
            String whole = m.group(1);
            String frac = m.group(2) == null ? "" : m.group(2);
            if (whole.isEmpty() && frac.isEmpty()) {
                return null;
            }
            double value = Double.parseDouble((whole.isEmpty() ? "0" : whole) + "." + (frac.isEmpty() ? "0" : frac));
            total += value * unitNanos(m.group(3));
            at = m.end();
        }
        if (total > Long.MAX_VALUE) {
            return null;
        }
        long nanos = Math.round(total);
        return negative ? -nanos : nanos;
    }

    private static long unitNanos(String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> SECOND;
            case "m" -> 60 * SECOND;
            default -> 3600 * SECOND;
        };
    }

    /** Formats nanoseconds exactly as Go's {@code time.Duration.String()} does. */
    public static String format(long nanos) {
        if (nanos == 0) {
            return "0s";
        }
        String sign = nanos < 0 ? "-" : "";
        long u = Math.abs(nanos);
        if (u < SECOND) {
            if (u < 1_000) {
                return sign + u + "ns";
            }
            if (u < 1_000_000) {
                return sign + (u / 1_000) + fraction(u % 1_000, 3) + "µs";
            }
            return sign + (u / 1_000_000) + fraction(u % 1_000_000, 6) + "ms";
        }
        long secs = u / SECOND;
        String seconds = (secs % 60) + fraction(u % SECOND, 9) + "s";
        long minutes = secs / 60;
        if (minutes == 0) {
            return sign + seconds;
        }
        long hours = minutes / 60;
        String rest = (minutes % 60) + "m" + seconds;
        return sign + (hours > 0 ? hours + "h" + rest : rest);
    }

    private static String fraction(long value, int digits) {
        if (value == 0) {
            return "";
        }
        String padded = String.format("%0" + digits + "d", value);
        int end = padded.length();
        while (padded.charAt(end - 1) == '0') {
            end--;
        }
        return "." + padded.substring(0, end);
    }
}
