package dev.nnc.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes NumPy {@code .npy} files, the way tensors travel to and from Python.
 *
 * <p>Reads format versions 1.0 to 3.0, C order, every common dtype in either byte order ({@link #parseStored}); as a
 * tensor, float dtypes become f32 (f8 rounded) and integer and bool dtypes i32 (refusing values outside the int
 * range). Writes {@code <f4} / {@code <i4} in version 1.0 unless
 * the header needs 2.0, with the data 64-byte aligned as NumPy does. Stateless and thread-safe.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGNMENT = 64;

    private Npy() {
    }

    /**
     * Reads an {@code .npy} file into a new tensor; {@link MalformedFileException} says what is wrong with a bad file
     * (its message starts with the path).
     */
    public static Tensor read(Path path) throws IOException {
        byte[] bytes = BoundedFiles.read(path, BoundedFiles.MAX_BYTES);   // its errors name the path already
        try {
            return parse(bytes);
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

    /**
     * An {@code .npy} array as stored, before conversion: element {@code kind} ({@code f} float, {@code i} signed,
     * {@code u} unsigned, {@code b} bool) of {@code itemSize} bytes, the C-order {@code shape}, and a view of the data
     * in the file's byte order. The one parser of {@code .npy} headers in the project: tensors, training data and
     * fixtures are all read through it.
     */
    public record Stored(char kind, int itemSize, long[] shape, ByteBuffer data) {
        public Stored {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** The dtype as NumPy writes it without byte order, e.g. {@code f4} or {@code u1}. */
        public String dtype() {
            return "" + kind + itemSize;
        }

        /** The element count. */
        public int count() {
            return data.remaining() / itemSize;
        }

        /** Every element of a float array as f32 (f8 rounded, f2 widened). */
        public float[] floats() {
            if (kind != 'f') throw new IllegalStateException("not a float array: " + dtype());
            float[] values = new float[count()];
            for (int i = 0; i < values.length; i++) {
                values[i] = switch (itemSize) {
                    case 2 -> Float.float16ToFloat(data.getShort(2 * i));
                    case 4 -> data.getFloat(4 * i);
                    default -> (float) data.getDouble(8 * i);
                };
            }
            return values;
        }

        /** Every element of an integer or bool array, exactly. */
        public long[] integers() {
            if (kind == 'f') throw new IllegalStateException("not an integer array: " + dtype());
            long[] values = new long[count()];
            boolean signed = kind == 'i';
            for (int i = 0; i < values.length; i++) {
                values[i] = switch (itemSize) {
                    case 1 -> signed ? data.get(i) : Byte.toUnsignedLong(data.get(i));
                    case 2 -> signed ? data.getShort(2 * i) : Short.toUnsignedLong(data.getShort(2 * i));
                    case 4 -> signed ? data.getInt(4 * i) : Integer.toUnsignedLong(data.getInt(4 * i));
                    default -> data.getLong(8 * i);
                };
            }
            return values;
        }

        /** The raw bytes of a one-byte array (u1 pixels, i1, b1). */
        public byte[] bytes() {
            if (itemSize != 1) throw new IllegalStateException("not a one-byte array: " + dtype());
            byte[] values = new byte[count()];
            data.get(0, values);
            return values;
        }
    }

    /**
     * Parses the bytes of an {@code .npy} file of format version 1.0, 2.0 or 3.0, in C order, of any dtype among
     * {@code f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 b1} in either byte order; {@link MalformedFileException} says what is wrong.
     */
    public static Stored parseStored(byte[] file) throws MalformedFileException {
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
        } else if ((major == 2 || major == 3) && minor == 0 && file.length >= 12) {
            headerLength = Integer.toUnsignedLong(bytes.getInt(8));
            headerStart = 12;
        } else {
            throw new MalformedFileException(".npy format version " + major + "." + minor + " is not supported (1.0, 2.0 and 3.0 are)");
        }
        if (headerStart + headerLength > file.length) {
            throw new MalformedFileException(".npy header length " + headerLength + " runs past the end of the " + file.length + "-byte file (truncated?)");
        }
        String header = new String(file, headerStart, (int) headerLength, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
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
        char order = descr.isEmpty() ? '?' : descr.charAt(0);      // '<', '>', '|' (no order: one byte) or '=' (native: little here)
        String type = "<>|=".indexOf(order) >= 0 ? descr.substring(1) : descr;
        if (!SUPPORTED.contains(type)) {
            throw new MalformedFileException(".npy dtype '" + descr + "' is not supported (f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 b1 are)");
        }
        char kind = type.charAt(0);
        int itemSize = type.charAt(1) - '0';
        long count = 1;
        for (long dim : shape) {
            if (dim != 0 && count > Long.MAX_VALUE / dim) {
                throw new MalformedFileException(".npy shape " + tuple(shape) + " has more elements than a file can hold");
            }
            count *= dim;
        }
        long dataStart = headerStart + headerLength;
        long dataBytes = file.length - dataStart;
        if (count > Integer.MAX_VALUE / 8 || dataBytes != count * itemSize) {
            throw new MalformedFileException(".npy data has " + dataBytes + " bytes, but " + descr + " with shape " + tuple(shape)
                    + " needs " + Math.multiplyExact(count, (long) itemSize) + (dataBytes < count * itemSize ? " (truncated)" : ""));
        }
        ByteBuffer data = bytes.position((int) dataStart).slice().order(order == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        return new Stored(kind, itemSize, shape, data);
    }

    private static final java.util.Set<String> SUPPORTED = java.util.Set.of("f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "b1");

    /** Parses the bytes of an {@code .npy} file into a tensor: float dtypes become f32, integer and bool dtypes i32. */
    static Tensor parse(byte[] file) throws MalformedFileException {
        Stored stored = parseStored(file);
        long[] shape = stored.shape();
        if (stored.kind() == 'f') return Tensor.of(stored.floats(), shape);
        long[] wide = stored.integers();
        int[] values = new int[wide.length];
        for (int i = 0; i < wide.length; i++) {
            if (wide[i] != (int) wide[i]) {
                throw new MalformedFileException(".npy " + stored.dtype() + " element " + i + " = " + wide[i] + " does not fit in i32");
            }
            values[i] = (int) wide[i];
        }
        return Tensor.ofInts(values, shape);
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
