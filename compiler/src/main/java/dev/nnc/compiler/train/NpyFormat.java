package dev.nnc.compiler.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads NumPy {@code .npy} files and {@code .npz} archives of them as training data.
 *
 * <p>Unlike the runtime's {@code Npy} (which reads model inputs as f32/i32), this accepts the element types data sets
 * are stored in: {@code u1} (pixels), {@code i1 i2 i4 i8 u2 u4 b1} (labels) and {@code f2 f4 f8}, in either byte order,
 * C order only. Versions 1.0, 2.0 and 3.0. {@code .npz} may be stored or deflated ({@code np.savez_compressed}).
 * Stateless.
 */
public final class NpyFormat {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyFormat() {
    }

    /** Reads one {@code .npy} file. */
    public static RawArray read(Path file) throws DataException {
        try {
            return parse(file.toString(), Files.readAllBytes(file));
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")");
        }
    }

    /** Reads every array of an {@code .npz} archive, keyed by name without {@code .npy}, in archive order. */
    public static Map<String, RawArray> readArchive(Path file) throws DataException {
        Map<String, RawArray> arrays = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry entry : zip.stream().toList()) {
                String name = entry.getName();
                if (entry.isDirectory() || !name.endsWith(".npy")) {
                    continue;
                }
                String key = name.substring(0, name.length() - 4);
                byte[] bytes;
                try (InputStream in = zip.getInputStream(entry)) {
                    bytes = in.readAllBytes();
                }
                arrays.put(key, parse(file + ":" + key, bytes));
            }
        } catch (ZipException e) {
            throw new DataException(file + ": not a valid .npz (zip) archive (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")");
        }
        return arrays;
    }

    /** Parses the bytes of an {@code .npy} file; {@code origin} names it in errors. */
    static RawArray parse(String origin, byte[] file) throws DataException {
        if (file.length < 10 || !ByteBuffer.wrap(file, 0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
            throw new DataException(origin + ": not an .npy file (no \\x93NUMPY magic)");
        }
        ByteBuffer bytes = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int major = file[6];
        long headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(bytes.getShort(8));
            headerStart = 10;
        } else if ((major == 2 || major == 3) && file.length >= 12) {
            headerLength = Integer.toUnsignedLong(bytes.getInt(8));
            headerStart = 12;
        } else {
            throw new DataException(origin + ": .npy format version " + major + " is not supported (1, 2 and 3 are)");
        }
        if (headerStart + headerLength > file.length) {
            throw new DataException(origin + ": .npy header runs past the end of the file (truncated)");
        }
        String header = new String(file, headerStart, (int) headerLength, StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shapeText = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shapeText.find()) {
            throw new DataException(origin + ": .npy header is not a simple array header: " + header.strip());
        }
        if (fortran.group(1).equals("True")) {
            throw new DataException(origin + ": .npy array is in Fortran order; save it with np.ascontiguousarray");
        }
        long[] shape = parseShape(origin, shapeText.group(1));
        char kind = descr.group(2).charAt(0);
        int itemSize = Integer.parseInt(descr.group(3));
        String type = descr.group(1) + kind + itemSize;
        boolean supported = switch (kind) {
            case 'u' -> itemSize == 1 || itemSize == 2 || itemSize == 4;
            case 'i' -> itemSize == 1 || itemSize == 2 || itemSize == 4 || itemSize == 8;
            case 'f' -> itemSize == 2 || itemSize == 4 || itemSize == 8;
            case 'b' -> itemSize == 1;
            default -> false;
        };
        if (!supported) {
            throw new DataException(origin + ": .npy dtype '" + type + "' is not supported for data (u1, i1..i8, f2..f8, b1 are)");
        }
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        long dataStart = headerStart + headerLength;
        long expected = dataStart + count * itemSize;
        if (count > Integer.MAX_VALUE || file.length != expected) {
            throw new DataException(origin + ": .npy data " + (file.length < expected ? "is truncated" : "has trailing bytes") + ": "
                    + (file.length - dataStart) + " bytes, dtype " + type + " with shape " + Column.shapeString(shape)
                    + " needs " + count * itemSize);
        }
        ByteBuffer data = bytes.position((int) dataStart).slice()
                .order(descr.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int n = (int) count;
        if (kind == 'u' && itemSize == 1) {
            byte[] values = new byte[n];
            data.get(values);
            return new RawArray.UnsignedBytes(origin, shape, values);
        }
        if (kind == 'f') {
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = switch (itemSize) {
                    case 2 -> Float.float16ToFloat(data.getShort());
                    case 4 -> data.getFloat();
                    default -> (float) data.getDouble();
                };
            }
            return new RawArray.Floats(origin, shape, values);
        }
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
            values[i] = switch (itemSize) {
                case 1 -> kind == 'i' ? data.get() : Byte.toUnsignedLong(data.get());
                case 2 -> kind == 'i' ? data.getShort() : Short.toUnsignedLong(data.getShort());
                case 4 -> kind == 'i' ? data.getInt() : Integer.toUnsignedLong(data.getInt());
                default -> data.getLong();
            };
        }
        return new RawArray.Integers(origin, shape, values);
    }

    private static long[] parseShape(String origin, String text) throws DataException {
        String[] parts = text.split(",");
        long[] dims = new long[parts.length];
        int rank = 0;
        for (String part : parts) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            try {
                dims[rank++] = Long.parseLong(p.endsWith("L") ? p.substring(0, p.length() - 1) : p);
            } catch (NumberFormatException e) {
                throw new DataException(origin + ": .npy shape (" + text + ") is not a tuple of integers");
            }
        }
        return Arrays.copyOf(dims, rank);
    }
}
