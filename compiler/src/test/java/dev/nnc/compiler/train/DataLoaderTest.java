package dev.nnc.compiler.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.DType;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every data layout, written by the test itself, loaded into the columns of a tiny 2×2-image, 3-class step. */
class DataLoaderTest {

    private static final TensorSpec X = TensorSpec.of("x", DType.F32, TensorSpec.BATCH, 1, 2, 2);
    private static final TensorSpec Y = TensorSpec.of("y", DType.I32, TensorSpec.BATCH);
    private static final DataLoader.Layout LAYOUT = new DataLoader.Layout(List.of(X, Y), Set.of("y"), 3);
    private static final byte[] PIXELS = {0, (byte) 255, 51, 102, 1, 2, 3, 4, 10, 20, 30, 40};
    private static final long[] LABELS = {2, 0, 1};

    @TempDir
    Path dir;

    @Test
    void mnistFolderScalesPixelsAndReshapes() throws Exception {
        writeIdxPair(dir, "train", false);
        Dataset data = DataLoader.load(dir, LAYOUT, DataLoader.Part.TRAIN);
        assertEquals(3, data.size());
        Tensor x = data.column("x").gather(new int[] {0, 1, 2}, 0, 1);
        assertArrayEquals(new long[] {1, 1, 2, 2}, x.shape());
        assertArrayEquals(new float[] {0f, 1f, 0.2f, 0.4f}, x.toFloatArray(), 1e-7f);
        assertArrayEquals(new int[] {2, 0, 1}, data.column("y").ints());
    }

    @Test
    void gzipIdxAndTestPart() throws Exception {
        writeIdxPair(dir, "train", true);
        writeIdxPair(dir, "t10k", true);
        assertTrue(DataLoader.hasTestPart(dir));
        Dataset test = DataLoader.load(dir, LAYOUT, DataLoader.Part.TEST);
        assertEquals(3, test.size());
        assertEquals(51 / 255f, test.column("x").floats()[2], 1e-7f);
    }

    @Test
    void npzAndNpyFolderKeepFloatsAndReadInt64Labels() throws Exception {
        float[] floats = new float[12];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = i * 0.5f - 1;
        }
        byte[] x = npy("<f4", "(3, 4)", floatBytes(floats));
        byte[] y = npy("<i8", "(3,)", longBytes(LABELS));
        Path npz = dir.resolve("d.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(npz))) {
            for (String name : new String[] {"x", "y"}) {
                zip.putNextEntry(new ZipEntry(name + ".npy"));
                zip.write(name.equals("x") ? x : y);
                zip.closeEntry();
            }
        }
        Dataset fromNpz = DataLoader.load(npz, LAYOUT, DataLoader.Part.TRAIN);
        assertArrayEquals(floats, fromNpz.column("x").floats());
        Path folder = Files.createDirectory(dir.resolve("npy"));
        Files.write(folder.resolve("x.npy"), npy("|u1", "(3, 2, 2)", PIXELS));
        Files.write(folder.resolve("y.npy"), y);
        Dataset fromFolder = DataLoader.load(folder, LAYOUT, DataLoader.Part.TRAIN);
        assertEquals(1f, fromFolder.column("x").floats()[1]);
        assertArrayEquals(new int[] {2, 0, 1}, fromFolder.column("y").ints());
    }

    @Test
    void csvWithAndWithoutHeader() throws Exception {
        Path withHeader = dir.resolve("h.csv");
        Files.writeString(withHeader, "label,a,b,c,d\n1,0.5,0.25,0,1\n\n2,1,1,1,1\n");
        Dataset data = DataLoader.load(withHeader, LAYOUT, DataLoader.Part.TRAIN);
        assertEquals(2, data.size());
        assertArrayEquals(new float[] {0.5f, 0.25f, 0, 1, 1, 1, 1, 1}, data.column("x").floats());
        Path plain = dir.resolve("p.csv");
        Files.writeString(plain, "0,1,2,3,4\n");
        assertArrayEquals(new int[] {0}, DataLoader.load(plain, LAYOUT, DataLoader.Part.TRAIN).column("y").ints());
    }

    @Test
    void csvIsParsedAsCsvAndEveryBadCellIsNamed() throws Exception {
        Path quoted = dir.resolve("q.csv");    // a byte-order mark, quoted header and fields, CRLF, a trailing blank line
        Files.writeString(quoted, "\uFEFF\"label\",\"a, the first\",b,c,d\r\n1,\"0.5\",0.25,0,1\r\n2,1,1,1,1\r\n\r\n");
        Dataset data = DataLoader.load(quoted, LAYOUT, DataLoader.Part.TRAIN);
        assertEquals(2, data.size());
        assertArrayEquals(new float[] {0.5f, 0.25f, 0, 1, 1, 1, 1, 1}, data.column("x").floats());

        assertCsvRefused("typo.csv", "0,1,2,3,4\n1,1,2,3,4\n2,1,x2,3,4\n", "typo.csv:3:3: 'x2' is not a number");
        assertCsvRefused("nan.csv", "nan,1,2,3,4\n", "nan.csv:1:1: 'nan' is not a number (NaN and infinities are refused");
        assertCsvRefused("inf.csv", "0,1,2,3,Infinity\n", "inf.csv:1:5: 'Infinity' is not a number (NaN and infinities are refused");
        assertCsvRefused("huge.csv", "0,1,2,3,1e39\n", "huge.csv:1:5: 1e39 is beyond the float range");
        assertCsvRefused("second.csv", "label,a,b,c,d\nlabel,a,b,c,d\n0,1,2,3,4\n", "second.csv:2:1: 'label' is not a number");
        assertCsvRefused("ragged.csv", "0,1,2,3,4\n1,1,2\n", "ragged.csv:2: the row has 3 columns, the first data row has 5");
        assertCsvRefused("quote.csv", "0,1,2,3,4\n1,\"1,2,3,4\n", "quote.csv: not valid CSV");
    }

    @Test
    void aNaNOrInfinityInTheDataIsRefusedWithItsExample() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("nan"));
        java.nio.ByteBuffer x = java.nio.ByteBuffer.allocate(12 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 12; i++) x.putFloat(i == 6 ? Float.NaN : i);
        Files.write(folder.resolve("x.npy"), npy("<f4", "(3, 2, 2)", x.array()));
        Files.write(folder.resolve("y.npy"), npy("<i8", "(3,)", longBytes(LABELS)));
        assertMessage(folder, "x.npy", "example 1, element 2 is NaN; NaN and infinities are refused");
    }

    private void assertCsvRefused(String name, String text, String message) throws Exception {
        Path csv = dir.resolve(name);
        Files.writeString(csv, text);
        DataException e = assertThrows(DataException.class, () -> DataLoader.load(csv, LAYOUT, DataLoader.Part.TRAIN));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void labelOutOfRangeNamesFileRowAndValue() throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "0,1,2,3,4\n7,1,2,3,4\n");
        DataException e = assertThrows(DataException.class, () -> DataLoader.load(csv, LAYOUT, DataLoader.Part.TRAIN));
        assertTrue(e.getMessage().contains("bad.csv") && e.getMessage().contains("row 1") && e.getMessage().contains("label 7")
                && e.getMessage().contains("[0, 3)"), e.getMessage());
    }

    @Test
    void shapeMismatchNamesFileAndBothShapes() throws Exception {
        Path csv = dir.resolve("wide.csv");
        Files.writeString(csv, "0,1,2,3,4,5\n");
        DataException e = assertThrows(DataException.class, () -> DataLoader.load(csv, LAYOUT, DataLoader.Part.TRAIN));
        assertTrue(e.getMessage().contains("wide.csv") && e.getMessage().contains("[5]") && e.getMessage().contains("[1, 2, 2]"), e.getMessage());
    }

    @Test
    void brokenFilesNameTheFile() throws Exception {
        writeIdxPair(dir, "train", false);
        Path images = dir.resolve("train-images-idx3-ubyte");
        byte[] whole = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(whole, whole.length - 3));
        assertMessage(dir, "train-images-idx3-ubyte", "truncated");
        whole[0] = 7;
        Files.write(images, whole);
        assertMessage(dir, "train-images-idx3-ubyte", "not an IDX file");

        Path gz = Files.createDirectory(dir.resolve("gz"));
        writeIdxPair(gz, "train", true);
        Path labels = gz.resolve("train-labels-idx1-ubyte.gz");
        byte[] packed = Files.readAllBytes(labels);
        Files.write(labels, Arrays.copyOf(packed, packed.length / 2));
        assertMessage(gz, "train-labels-idx1-ubyte.gz", "gzip");

        Path npz = dir.resolve("junk.npz");
        Files.writeString(npz, "not a zip");
        assertMessage(npz, "junk.npz", "npz");
        Path folder = Files.createDirectory(dir.resolve("npy"));
        Files.write(folder.resolve("x.npy"), "NUMPY??".getBytes(StandardCharsets.US_ASCII));
        Files.write(folder.resolve("y.npy"), npy("<i8", "(3,)", longBytes(LABELS)));
        assertMessage(folder, "x.npy", "magic");
        Files.write(folder.resolve("x.npy"), Arrays.copyOf(npy("|u1", "(3, 2, 2)", PIXELS), 100));
        assertMessage(folder, "x.npy", "truncated");
        Path ragged = dir.resolve("ragged.csv");
        Files.writeString(ragged, "0,1,2,3,4\n1,2,3\n");
        assertMessage(ragged, "ragged.csv:2:", "the row has 3 columns");
    }

    private static void assertMessage(Path path, String file, String words) {
        DataException e = assertThrows(DataException.class, () -> DataLoader.load(path, LAYOUT, DataLoader.Part.TRAIN));
        assertTrue(e.getMessage().contains(file) && e.getMessage().contains(words), e.getMessage());
    }

    private static void writeIdxPair(Path folder, String prefix, boolean gzip) throws IOException {
        ByteBuffer images = ByteBuffer.allocate(4 + 12 + PIXELS.length).putInt(0x0803).putInt(3).putInt(2).putInt(2).put(PIXELS);
        ByteBuffer labels = ByteBuffer.allocate(4 + 4 + 3).putInt(0x0801).putInt(3);
        for (long label : LABELS) {
            labels.put((byte) label);
        }
        write(folder.resolve(prefix + "-images-idx3-ubyte" + (gzip ? ".gz" : "")), images.array(), gzip);
        write(folder.resolve(prefix + "-labels-idx1-ubyte" + (gzip ? ".gz" : "")), labels.array(), gzip);
    }

    private static void write(Path file, byte[] bytes, boolean gzip) throws IOException {
        try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            out.write(bytes);
        }
    }

    static byte[] npy(String descr, String shape, byte[] data) throws IOException {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int pad = Math.floorMod(-(10 + dict.length() + 1), 64);
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) header.length()).array());
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        out.write(data);
        return out.toByteArray();
    }

    static byte[] floatBytes(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] longBytes(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }
}
