package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesEveryKindOfValue() {
        Object value = Json.parse(" {\"a\": [1, -2.5, 3e2, true, false, null], \"s\": \"q\\\"\\\\\\n\\u00e9\", \"o\": {}} ");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", Arrays.asList(1L, -2.5, 300.0, true, false, null));
        expected.put("s", "q\"\\\né");
        expected.put("o", Map.of());
        assertEquals(expected, value);
        assertEquals(List.of("a", "s", "o"), List.copyOf(((Map<?, ?>) value).keySet()));
    }

    @Test
    void prettyPrintsWithTwoSpacesAndRoundTrips() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", "x");
        doc.put("shape", List.of("B", 784L));
        doc.put("nested", List.of(Map.of("k", 1L)));
        doc.put("empty", List.of());
        String text = Json.write(doc);
        assertEquals("""
                {
                  "name": "x",
                  "shape": ["B", 784],
                  "nested": [
                    {
                      "k": 1
                    }
                  ],
                  "empty": []
                }
                """, text);
        assertEquals(doc, Json.parse(text));
        assertEquals("{\"name\":\"x\",\"shape\":[\"B\",784],\"nested\":[{\"k\":1}],\"empty\":[]}", Json.writeCompact(doc));
        assertEquals("tab\t\u0001", Json.parse(Json.writeCompact("tab\t\u0001")));
        assertEquals(0.1, Json.parse(Json.writeCompact(0.1)));
    }

    @Test
    void unorderedMapsAreWrittenSorted() {
        assertEquals("{\"a\":1,\"b\":2,\"c\":3}", Json.writeCompact(Map.of("c", 3L, "a", 1L, "b", 2L)));
    }

    @Test
    void errorsNameTheOffset() {
        assertError("{\"a\": 1,}", "JSON error at offset 8: expected a string key, got '}'");
        assertError("[1 2]", "JSON error at offset 3: expected ',' or ']', got '2'");
        assertError("{\"a\": 1, \"a\": 2}", "JSON error at offset 9: duplicate key \"a\"");
        assertError("012", "JSON error at offset 1: leading zero in a number");
        assertError("\"abc", "JSON error at offset 4: unterminated string");
        assertError("[1] x", "JSON error at offset 4: unexpected 'x' after the JSON value");
        assertError("NaN", "JSON error at offset 0: unexpected 'N', expected a value");
        assertError("\"a\nb\"", "JSON error at offset 2: raw control character U+000A in a string (escape it)");
        assertError("99999999999999999999", "JSON error at offset 0: integer 99999999999999999999 does not fit in 64 bits");
        assertError("", "JSON error at offset 0: unexpected end of input, expected a value");
        assertError("[".repeat(Json.MAX_DEPTH + 1), "JSON error at offset " + Json.MAX_DEPTH + ": nesting deeper than " + Json.MAX_DEPTH);
    }

    @Test
    void refusesValuesJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
    }

    private static void assertError(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text));
        assertEquals(message, e.getMessage());
    }
}
