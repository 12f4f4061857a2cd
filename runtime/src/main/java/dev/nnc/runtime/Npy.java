package dev.nnc.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0 and 2.0), the way tensors travel to and from Python.
 *
 * <p>Reads little-endian {@code <f4} and {@code <i4}, and converts {@code <f8} to f32 (rounding) and {@code <i8} to
 * i32 (refusing values outside the int range); C order only. Writes {@code <f4} / {@code <i4} in version 1.0 unless
 * the header needs 2.0, with the data 64-byte aligned as NumPy does. Stateless and thread-safe.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGNMENT = 64;

    private Npy() {
    }

    /** Reads an {@code .npy} file into a new tensor; {@link MalformedFileException} says what is wrong with a bad file. */
    public static Tensor read(Path path) throws IOException {
        try {
            return parse(Files.readAllBytes(path));
        } catch (MalformedFileException e) {
            throw new MalformedFileException(path + ": " + e.getMessage());
        }
    }

    /** Writes {@code tensor} as an {@code .npy} file, written aside and renamed into place atomically. */
    public static void write(Path path, Tensor tensor) throws IOException {
        byte[] header = header(tensor);
        AtomicFiles.write(path, out -> {
            out.write(header);
            Safetensors.copy(tensor.segment(), out);
        });
    }

    /** Parses the bytes of an {@code .npy} file. */
    static Tensor parse(byte[] file) throws MalformedFileException {
        if (file.length < 10 || !ByteBuffer.wrap(file, 0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
            throw new MalformedFileException("not an .npy file (no \\x93NUMPY magic)");
        }
        int major = file[6];
        int minor = file[7];
        ByteBuffer bytes = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength;
        int headerStart;
        if (major == 1 && minor == 0) {
            headerLength = Short.toUnsignedInt(bytes.getShort(8));
            headerStart = 10;
        } else if (major == 2 && minor == 0 && file.length >= 12) {
            headerLength = Integer.toUnsignedLong(bytes.getInt(8));
            headerStart = 12;
        } else {
            throw new MalformedFileException(".npy format version " + major + "." + minor + " is not supported (1.0 and 2.0 are)");
        }
        if (headerStart + headerLength > file.length) {
            throw new MalformedFileException(".npy header length " + headerLength + " runs past the end of the " + file.length + "-byte file");
        }
        String header = new String(file, headerStart, (int) headerLength, StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = new HeaderParser(header).dict();
        if (!(dict.get("descr") instanceof String descr)) {
            throw new MalformedFileException(".npy header needs a string 'descr', got " + dict.get("descr"));
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new MalformedFileException(".npy header needs a boolean 'fortran_order'");
        }
        if (fortran) {
            throw new MalformedFileException(".npy file is in Fortran order; only C order is supported (save with np.ascontiguousarray)");
        }
        if (!(dict.get("shape") instanceof long[] shape)) {
            throw new MalformedFileException(".npy header needs a 'shape' tuple");
        }
        int itemSize = switch (descr) {
            case "<f4", "<i4" -> 4;
            case "<f8", "<i8" -> 8;
            default -> throw new MalformedFileException(".npy dtype '" + descr + "' is not supported (<f4, <i4, <f8, <i8 are)");
        };
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        long dataStart = headerStart + headerLength;
        long dataBytes = file.length - dataStart;
        if (count > Integer.MAX_VALUE || dataBytes != count * itemSize) {
            throw new MalformedFileException(".npy data has " + dataBytes + " bytes, but " + descr + " with shape " + tuple(shape)
                    + " needs " + Math.multiplyExact(count, (long) itemSize));
        }
        ByteBuffer data = bytes.position((int) dataStart).slice().order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) count;
        return switch (descr) {
            case "<f4" -> {
                float[] values = new float[n];
                data.asFloatBuffer().get(values);
                yield Tensor.of(values, shape);
            }
            case "<f8" -> {
                float[] values = new float[n];
                for (int i = 0; i < n; i++) {
                    values[i] = (float) data.getDouble(i * 8);
                }
                yield Tensor.of(values, shape);
            }
            case "<i4" -> {
                int[] values = new int[n];
                data.asIntBuffer().get(values);
                yield Tensor.ofInts(values, shape);
            }
            default -> {
                int[] values = new int[n];
                for (int i = 0; i < n; i++) {
                    long v = data.getLong(i * 8);
                    if (v != (int) v) {
                        throw new MalformedFileException(".npy <i8 element " + i + " = " + v + " does not fit in i32");
                    }
                    values[i] = (int) v;
                }
                yield Tensor.ofInts(values, shape);
            }
        };
    }

    /** The magic, version, header length and padded header dict for {@code tensor}. */
    static byte[] header(Tensor tensor) {
        String descr = switch (tensor.dtype()) {
            case F32 -> "<f4";
            case I32 -> "<i4";
        };
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple(tensor.shape()) + ", }";
        int prefix = dict.length() + 1 + 10 <= 0xFFFF ? 10 : 12;
        int padding = Math.floorMod(-(prefix + dict.length() + 1), ALIGNMENT);
        String padded = dict + " ".repeat(padding) + "\n";
        ByteBuffer out = ByteBuffer.allocate(prefix + padded.length()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC);
        if (prefix == 10) {
            out.put((byte) 1).put((byte) 0).putShort((short) padded.length());
        } else {
            out.put((byte) 2).put((byte) 0).putInt(padded.length());
        }
        out.put(padded.getBytes(StandardCharsets.ISO_8859_1));
        return out.array();
    }

    private static String tuple(long[] shape) {
        List<String> dims = new ArrayList<>();
        for (long dim : shape) {
            dims.add(Long.toString(dim));
        }
        return shape.length == 1 ? "(" + dims.getFirst() + ",)" : "(" + String.join(", ", dims) + ")";
    }

    /** Parses the Python dict literal of an {@code .npy} header: string keys; string, boolean and int-tuple values. */
    private static final class HeaderParser {
        private final String text;
        private int pos;

        HeaderParser(String text) {
            this.text = text;
        }

        Map<String, Object> dict() throws MalformedFileException {
            Map<String, Object> dict = new LinkedHashMap<>();
            skipSpace();
            expect('{');
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    break;
                }
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                dict.put(key, value());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != '}') {
                    throw error("expected ',' or '}'");
                }
            }
            skipSpace();
            if (pos != text.length()) {
                throw error("unexpected text after the header dict");
            }
            return dict;
        }

        private Object value() throws MalformedFileException {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (text.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (text.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            if (c == '(') {
                return shape();
            }
            throw error("unsupported value");
        }

        private long[] shape() throws MalformedFileException {
            pos++;
            List<Long> dims = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == ')') {
                    pos++;
                    return dims.stream().mapToLong(Long::longValue).toArray();
                }
                int start = pos;
                while (peek() >= '0' && peek() <= '9') {
                    pos++;
                }
                if (start == pos || pos - start > 18) {
                    throw error("expected a dimension");
                }
                dims.add(Long.parseLong(text.substring(start, pos)));
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != ')') {
                    throw error("expected ',' or ')' in the shape");
                }
            }
        }

        private String string() throws MalformedFileException {
            char quote = peek();
            if (quote != '\'' && quote != '"') {
                throw error("expected a quoted key");
            }
            int end = text.indexOf(quote, pos + 1);
            if (end < 0) {
                throw error("unterminated string");
            }
            String s = text.substring(pos + 1, end);
            pos = end + 1;
            return s;
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void expect(char c) throws MalformedFileException {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        private MalformedFileException error(String message) {
            return new MalformedFileException(".npy header " + message + " at offset " + pos + " in " + text.strip());
        }
    }
}
