package io.sidecarinitializer.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Typed, path-aware reads from a parsed YAML mapping, so every error names its field. */
final class FieldReader {
    private final Map<String, Object> map;
    private final String prefix;
    private final boolean quotedIntegers;

    /** A reader for a Go struct read from YAML, where a quoted "1337" is a string, not an integer. */
    FieldReader(Map<String, Object> map, String prefix) {
        this(map, prefix, false);
    }

    /** @param quotedIntegers accept "1337" for an integer, as the proto JSON mapping of mesh config does */
    FieldReader(Map<String, Object> map, String prefix, boolean quotedIntegers) {
        this.map = map;
        this.prefix = prefix;
        this.quotedIntegers = quotedIntegers;
    }

    String path(String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    boolean has(String key) {
        return map.containsKey(key) && map.get(key) != null;
    }

    /** Rejects keys we do not know, so a typo (say {@code polcy}) fails loudly instead of being ignored. */
    void onlyKnown(Set<String> known) {
        for (String key : map.keySet()) {
            if (!known.contains(key)) {
                throw new ConfigException(path(key), "unknown field; expected one of " + String.join(", ", sorted(known)));
            }
        }
    }

    String string(String key, String fallback) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Number || v instanceof Boolean) {
            return String.valueOf(v); // YAML reads "version: 1.0" as a number; the user meant the text
        }
        throw typeError(key, "a string", v);
    }

    String nonEmptyString(String key, String fallback) {
        String s = string(key, fallback);
        if (s.isBlank()) {
            throw new ConfigException(path(key), "must not be empty");
        }
        return s;
    }

    long integer(String key, long fallback, long min, long max) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        long n;
        if (v instanceof Integer || v instanceof Long) {
            n = ((Number) v).longValue();
        } else if (quotedIntegers && v instanceof String s && s.trim().matches("-?\\d{1,18}")) {
            n = Long.parseLong(s.trim());
        } else {
            throw typeError(key, "an integer", v);
        }
        if (n < min || n > max) {
            throw new ConfigException(path(key), "'" + v + "' is out of range " + min + ".." + max);
        }
        return n;
    }

    boolean bool(String key, boolean fallback) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s);
        }
        throw typeError(key, "true or false", v);
    }

    List<String> stringList(String key, List<String> fallback) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof List<?> list)) {
            throw typeError(key, "a list of strings", v);
        }
        List<String> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            if (item instanceof String s) {
                out.add(s);
            } else if (item == null) {
                throw new ConfigException(path(key) + "[" + i + "]", "empty item; write \"\" to mean all namespaces");
            } else {
                throw new ConfigException(path(key) + "[" + i + "]", "expected a string, got " + describe(item));
            }
        }
        return List.copyOf(out);
    }

    FieldReader child(String key) {
        Object v = map.get(key);
        if (v == null) {
            return new FieldReader(Map.of(), path(key), quotedIntegers);
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw typeError(key, "a mapping", v);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) m;
        return new FieldReader(typed, path(key), quotedIntegers);
    }

    ConfigException typeError(String key, String expected, Object actual) {
        return new ConfigException(path(key), "expected " + expected + ", got " + describe(actual));
    }

    static String describe(Object v) {
        if (v instanceof Map) {
            return "a mapping";
        }
        if (v instanceof List) {
            return "a list";
        }
        if (v instanceof String s) {
            return "'" + s + "'";
        }
        return v.getClass().getSimpleName().toLowerCase() + " " + v;
    }

    private static List<String> sorted(Set<String> keys) {
        return keys.stream().sorted().toList();
    }
}
