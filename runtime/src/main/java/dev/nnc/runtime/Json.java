package dev.nnc.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A small, strict JSON reader and writer for manifests and safetensors headers.
 *
 * <p>Hand-rolled on purpose: the runtime takes no dependencies beyond the JDK. Reading yields objects as
 * {@code LinkedHashMap<String,Object>} (key order kept), arrays as {@code List<Object>}, integral numbers that fit
 * as {@code Long}, other numbers as {@code Double}, strings, booleans and {@code null}. It refuses what RFC 8259
 * refuses (trailing commas, comments, leading zeros, {@code NaN}, raw control characters, trailing content) and
 * also duplicate keys and nesting deeper than {@value #MAX_DEPTH}; every error names the character offset.
 * Writing pretty-prints with a two-space indent; keys come in the map's order when it has one
 * ({@link LinkedHashMap}, {@link SortedMap}) and sorted otherwise, so output is stable. Stateless and thread-safe.
 */
public final class Json {

    /** The deepest nesting of arrays and objects {@link #parse} accepts. */
    public static final int MAX_DEPTH = 256;

    private Json() {
    }

    /** Parses one JSON value that must span the whole text; IllegalArgumentException with the offset otherwise. */
    public static Object parse(String text) {
        Reader reader = new Reader(text);
        reader.skipWhitespace();
        Object value = reader.value(0);
        reader.skipWhitespace();
        if (reader.pos < text.length()) {
            throw reader.error("unexpected " + describe(text.charAt(reader.pos)) + " after the JSON value");
        }
        return value;
    }

    /** Pretty-prints {@code value} with a two-space indent and a final newline. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0, true);
        return out.append('\n').toString();
    }

    /** Writes {@code value} on one line without spaces. */
    public static String writeCompact(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0, false);
        return out.toString();
    }

    /** A short name of the JSON type of a parsed value, for error messages. */
    public static String typeName(Object value) {
        return switch (value) {
            case null -> "null";
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            case String s -> "a string";
            case Boolean b -> "a boolean";
            case Long l -> "an integer";
            case Double d -> "a number";
            default -> value.getClass().getSimpleName();
        };
    }

    private static void write(StringBuilder out, Object value, int indent, boolean pretty) {
        switch (value) {
            case null -> out.append("null");
            case String s -> quote(out, s);
            case Boolean b -> out.append(b);
            case Long l -> out.append(l);
            case Integer i -> out.append(i);
            case Short s -> out.append(s);
            case Byte b -> out.append(b);
            case Double d -> number(out, d);
            case Float f -> number(out, f.doubleValue());
            case Map<?, ?> map -> object(out, map, indent, pretty);
            case List<?> list -> array(out, list, indent, pretty);
            default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private static void number(StringBuilder out, double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no representation for " + d);
        }
        out.append(d);
    }

    private static void object(StringBuilder out, Map<?, ?> map, int indent, boolean pretty) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        Map<?, ?> ordered = map instanceof LinkedHashMap<?, ?> || map instanceof SortedMap<?, ?> ? map : new TreeMap<>(map);
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : ordered.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
            }
            out.append(first ? "" : ",");
            first = false;
            newline(out, indent + 1, pretty);
            quote(out, key);
            out.append(pretty ? ": " : ":");
            write(out, e.getValue(), indent + 1, pretty);
        }
        newline(out, indent, pretty);
        out.append('}');
    }

    private static void array(StringBuilder out, List<?> list, int indent, boolean pretty) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        boolean scalars = list.stream().noneMatch(v -> v instanceof Map<?, ?> || v instanceof List<?>);
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            out.append(i > 0 ? "," : "");
            if (scalars) {
                out.append(i > 0 && pretty ? " " : "");
            } else {
                newline(out, indent + 1, pretty);
            }
            write(out, list.get(i), indent + 1, pretty);
        }
        if (!scalars) {
            newline(out, indent, pretty);
        }
        out.append(']');
    }

    private static void newline(StringBuilder out, int indent, boolean pretty) {
        if (pretty) {
            out.append('\n').append("  ".repeat(indent));
        }
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static String describe(char c) {
        return c < 0x20 ? String.format("control character U+%04X", (int) c) : "'" + c + "'";
    }

    /** A cursor over the text being parsed. */
    private static final class Reader {
        private final String text;
        private int pos;

        Reader(String text) {
            this.text = text;
        }

        IllegalArgumentException error(String message) {
            return new IllegalArgumentException("JSON error at offset " + pos + ": " + message);
        }

        void skipWhitespace() {
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        Object value(int depth) {
            if (pos >= text.length()) {
                throw error("unexpected end of input, expected a value");
            }
            char c = text.charAt(pos);
            return switch (c) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        yield number();
                    }
                    throw error("unexpected " + describe(c) + ", expected a value");
                }
            };
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nesting deeper than " + MAX_DEPTH);
            }
        }

        private Map<String, Object> object(int depth) {
            checkDepth(depth);
            pos++;
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    throw error(pos >= text.length() ? "unexpected end of input, expected a key" : "expected a string key, got " + describe(text.charAt(pos)));
                }
                int keyStart = pos;
                String key = string();
                if (map.containsKey(key)) {
                    pos = keyStart;
                    throw error("duplicate key \"" + key + "\"");
                }
                skipWhitespace();
                expect(':');
                skipWhitespace();
                map.put(key, value(depth));
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() == '}') {
                    pos++;
                    return map;
                } else {
                    throw error(pos >= text.length() ? "unexpected end of input in an object" : "expected ',' or '}', got " + describe(text.charAt(pos)));
                }
            }
        }

        private List<Object> array(int depth) {
            checkDepth(depth);
            pos++;
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(value(depth));
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() == ']') {
                    pos++;
                    return list;
                } else {
                    throw error(pos >= text.length() ? "unexpected end of input in an array" : "expected ',' or ']', got " + describe(text.charAt(pos)));
                }
            }
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void expect(char c) {
            if (pos >= text.length()) {
                throw error("unexpected end of input, expected '" + c + "'");
            }
            if (text.charAt(pos) != c) {
                throw error("expected '" + c + "', got " + describe(text.charAt(pos)));
            }
            pos++;
        }

        private Object literal(String word, Object value) {
            if (!text.startsWith(word, pos)) {
                throw error("unexpected " + describe(text.charAt(pos)) + ", expected a value");
            }
            pos += word.length();
            return value;
        }

        private String string() {
            pos++;
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= text.length()) {
                    throw error("unterminated string");
                }
                char c = text.charAt(pos);
                if (c == '"') {
                    pos++;
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error("raw " + describe(c) + " in a string (escape it)");
                }
                if (c != '\\') {
                    sb.append(c);
                    pos++;
                    continue;
                }
                pos++;
                if (pos >= text.length()) {
                    throw error("unterminated escape sequence");
                }
                char e = text.charAt(pos);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 5 > text.length()) {
                            throw error("truncated \\u escape");
                        }
                        int code = 0;
                        for (int i = 1; i <= 4; i++) {
                            int digit = Character.digit(text.charAt(pos + i), 16);
                            if (digit < 0) {
                                throw error("bad hex digit " + describe(text.charAt(pos + i)) + " in \\u escape");
                            }
                            code = code * 16 + digit;
                        }
                        sb.append((char) code);
                        pos += 4;
                    }
                    default -> throw error("unknown escape \\" + e);
                }
                pos++;
            }
        }

        private Object number() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            if (peek() == '0') {
                pos++;
                if (isDigit(peek())) {
                    throw error("leading zero in a number");
                }
            } else if (isDigit(peek())) {
                digits();
            } else {
                throw error("expected a digit after '-'");
            }
            boolean integral = true;
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) {
                    throw error("expected a digit after '.'");
                }
                digits();
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                if (!isDigit(peek())) {
                    throw error("expected a digit in the exponent");
                }
                digits();
            }
            String literal = text.substring(start, pos);
            if (integral) {
                try {
                    return Long.parseLong(literal);
                } catch (NumberFormatException overflow) {
                    pos = start;
                    throw error("integer " + literal + " does not fit in 64 bits");
                }
            }
            double d = Double.parseDouble(literal);
            if (Double.isInfinite(d)) {
                pos = start;
                throw error("number " + literal + " is out of range");
            }
            return d;
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private void digits() {
            while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
                pos++;
            }
        }
    }
}
