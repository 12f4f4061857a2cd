package dev.nnc.compiler.train;

import dev.nnc.runtime.BoundedFiles;
import dev.nnc.runtime.MalformedFileException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of the MNIST family ({@code train-images-idx3-ubyte}), plain or gzip-compressed.
 *
 * <p>Layout: two zero bytes, a type byte ({@code 0x08} unsigned byte, {@code 0x09} signed byte, {@code 0x0B} short,
 * {@code 0x0C} int, {@code 0x0D} float, {@code 0x0E} double), the rank, then one big-endian 32-bit length per axis and
 * the big-endian data. Stateless.
 */
public final class IdxFormat {

    private IdxFormat() {
    }

    /** Reads {@code file} (gzip when its name ends in {@code .gz}); DataException naming the file when it is not a complete IDX file. */
    public static RawArray read(Path file) throws DataException {
        byte[] bytes;
        try {
            bytes = BoundedFiles.read(file, BoundedFiles.MAX_BYTES);
            if (file.getFileName().toString().endsWith(".gz")) {
                try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                    bytes = BoundedFiles.read(in, BoundedFiles.MAX_BYTES, file + " (inflated)");
                }
            }
        } catch (EOFException e) {
            throw new DataException(file + ": truncated gzip stream");
        } catch (MalformedFileException e) {
            throw new DataException(e.getMessage());
        } catch (ZipException e) {
            throw new DataException(file + ": not a valid gzip file (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")");
        }
        return parse(file.toString(), bytes);
    }

    /** Parses the bytes of an IDX file; {@code origin} names it in errors. */
    static RawArray parse(String origin, byte[] bytes) throws DataException {
        if (bytes.length < 4 || bytes[0] != 0 || bytes[1] != 0) {
            throw new DataException(origin + ": not an IDX file (it must start with two zero bytes, a type byte and the rank)");
        }
        int type = bytes[2] & 0xFF;
        int rank = bytes[3] & 0xFF;
        int itemSize = switch (type) {
            case 0x08, 0x09 -> 1;
            case 0x0B -> 2;
            case 0x0C, 0x0D -> 4;
            case 0x0E -> 8;
            default -> throw new DataException(origin + ": unknown IDX element type 0x" + Integer.toHexString(type)
                    + " (known: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double)");
        };
        if (rank == 0 || bytes.length < 4 + 4L * rank) {
            throw new DataException(origin + ": IDX header is truncated or has rank 0");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        long[] shape = new long[rank];
        long count = 1;
        for (int axis = 0; axis < rank; axis++) {
            shape[axis] = Integer.toUnsignedLong(in.getInt(4 + 4 * axis));
            count *= shape[axis];
            if (count > Integer.MAX_VALUE) {
                throw new DataException(origin + ": IDX shape is too large for one array");
            }
        }
        int start = 4 + 4 * rank;
        long expected = start + count * itemSize;
        if (bytes.length != expected) {
            throw new DataException(origin + ": IDX data " + (bytes.length < expected ? "is truncated" : "has trailing bytes") + ": "
                    + (bytes.length - start) + " data bytes, shape " + Column.shapeString(shape) + " needs " + count * itemSize);
        }
        int n = (int) count;
        in.position(start);
        return switch (type) {
            case 0x08 -> {
                byte[] data = new byte[n];
                in.get(data);
                yield new RawArray.UnsignedBytes(origin, shape, data);
            }
            case 0x0D, 0x0E -> {
                float[] data = new float[n];
                for (int i = 0; i < n; i++) {
                    data[i] = type == 0x0D ? in.getFloat() : (float) in.getDouble();
                }
                yield new RawArray.Floats(origin, shape, data);
            }
            default -> {
                long[] data = new long[n];
                for (int i = 0; i < n; i++) {
                    data[i] = switch (type) {
                        case 0x09 -> in.get();
                        case 0x0B -> in.getShort();
                        default -> in.getInt();
                    };
                }
                yield new RawArray.Integers(origin, shape, data);
            }
        };
    }
}
