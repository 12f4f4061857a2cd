package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsFloatsAndInts() throws IOException {
        Path f = dir.resolve("f.npy");
        Npy.write(f, Tensor.of(new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, 2, 3));
        byte[] bytes = Files.readAllBytes(f);
        int headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getShort(8);
        assertEquals(0, (10 + headerLength) % 64, "numpy aligns the data to 64 bytes");
        assertTrue(new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1)
                .startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        Tensor back = Npy.read(f);
        assertArrayEquals(new long[] {2, 3}, back.shape());
        assertArrayEquals(new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, back.toFloatArray(), 0f);

        Path i = dir.resolve("i.npy");
        Npy.write(i, Tensor.ofInts(new int[] {7, -8, 9}, 3));
        Tensor ints = Npy.read(i);
        assertEquals(DType.I32, ints.dtype());
        assertArrayEquals(new int[] {7, -8, 9}, ints.toIntArray());

        Path scalar = dir.resolve("s.npy");
        Npy.write(scalar, Tensor.of(new float[] {42f}));
        assertEquals(42f, Npy.read(scalar).getFloat(), 0f);
    }

    @Test
    void convertsDoublesAndLongs() throws IOException {
        Path d = write("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 1, longsOrDoubles(true, 0.1, -3.0));
        assertArrayEquals(new float[] {0.1f, -3f}, Npy.read(d).toFloatArray(), 0f);
        Path l = write("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 2, longsOrDoubles(false, 5, -6));
        assertArrayEquals(new int[] {5, -6}, Npy.read(l).toIntArray());
        Path big = write("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", 1, longsOrDoubles(false, 1L << 40));
        assertMalformed(big, ".npy i8 element 0 = 1099511627776 does not fit in i32");
    }

    @Test
    void refusesBadFiles() throws IOException {
        Path notNpy = dir.resolve("x.npy");
        Files.writeString(notNpy, "hello, not numpy");
        assertMalformed(notNpy, "not an .npy file (no \\x93NUMPY magic)");
        assertMalformed(write("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", 1, new byte[4]),
                ".npy file is in Fortran order; only C order is supported (save with np.ascontiguousarray)");
        assertMalformed(write("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 1, new byte[8]),
                ".npy dtype '<c8' is not supported (f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 b1 are)");
        assertMalformed(write("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 1, new byte[8]),
                ".npy data has 8 bytes, but <f4 with shape (3,) needs 12 (truncated)");
        assertMalformed(write("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 4, new byte[12]),
                ".npy format version 4.0 is not supported (1.0, 2.0 and 3.0 are)");
    }

    /** The dtypes data sets are stored in, which the training data reader shares this parser for, read as tensors too. */
    @Test
    void readsBytesOtherByteOrdersAndVersionThree() throws IOException {
        Path pixels = write("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", 1, new byte[] {0, 7, (byte) 255});
        assertArrayEquals(new int[] {0, 7, 255}, Npy.read(pixels).toIntArray());
        ByteBuffer big = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putFloat(1.5f).putFloat(-2f);
        Path bigEndian = write("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 3, big.array());
        assertArrayEquals(new float[] {1.5f, -2f}, Npy.read(bigEndian).toFloatArray(), 0f);
    }

    private void assertMalformed(Path path, String message) {
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> Npy.read(path));
        assertEquals(path + ": " + message, e.getMessage());
    }

    private static byte[] longsOrDoubles(boolean doubles, double... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            if (doubles) {
                b.putDouble(v);
            } else {
                b.putLong((long) v);
            }
        }
        return b.array();
    }

    /** A version-{@code major}.0 file with this header dict (padded to 64 bytes) and data. */
    private Path write(String dict, int major, byte[] data) throws IOException {
        int prefix = major == 1 ? 10 : 12;
        String header = dict + " ".repeat(Math.floorMod(-(prefix + dict.length() + 1), 64)) + "\n";
        ByteBuffer b = ByteBuffer.allocate(prefix + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) header.length());
        } else {
            b.putInt(header.length());
        }
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        Path path = Files.createTempFile(dir, "t", ".npy");
        Files.write(path, b.array());
        return path;
    }
}
