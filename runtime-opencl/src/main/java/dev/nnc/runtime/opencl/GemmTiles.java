package dev.nnc.runtime.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The tile parameters of nnc's OpenCL GEMM ({@code gemm.cl}): a work-group computes a {@code tm}×{@code tn} tile of C
 * through {@code tk}-deep slices of A and B in local memory, each of its {@link #threads()} work-items an
 * {@code rm}×{@code rn} block in registers. They are build options ({@code -DNNC_TM=…}), chosen per device by
 * {@link GemmTuner}, so one artifact's program suits a CPU and a GPU alike.
 */
public record GemmTiles(int tm, int tn, int tk, int rm, int rn) {

    /** What the source assumes when it is built without options. */
    public static final GemmTiles DEFAULT = new GemmTiles(32, 32, 16, 2, 2);

    /**
     * What the tuner tries: the shapes that do well on GPUs (64 to 256 work-items with 4×4 to 8×8 register blocks,
     * as CLBlast's kernels), and on CPUs, where PoCL runs a work-group as a loop vectorized along the work-items and
     * a row of 16 columns per work-item fills an AVX-512 register: measured on PoCL (2 Xeon cores, 1024³), 128×256
     * tiles with 16×16 blocks ran 29 GFLOP/s, 128×128 with 8×8 blocks 13, CLBlast 12–14.
     */
    private static final List<GemmTiles> CANDIDATES = List.of(
            DEFAULT,
            new GemmTiles(16, 16, 16, 1, 1),
            new GemmTiles(64, 64, 16, 4, 4),
            new GemmTiles(64, 64, 8, 4, 4),
            new GemmTiles(128, 128, 8, 8, 8),
            new GemmTiles(128, 64, 16, 8, 4),
            new GemmTiles(32, 32, 32, 4, 4),
            new GemmTiles(64, 64, 16, 8, 8),
            new GemmTiles(128, 128, 8, 8, 16),
            new GemmTiles(128, 256, 16, 8, 16),
            new GemmTiles(128, 256, 8, 16, 16));

    /** The tiles {@link GemmTuner} tries, in order (the first that is fastest wins). */
    public static List<GemmTiles> candidates() {
        return CANDIDATES;
    }

    public GemmTiles {
        if (tm < 1 || tn < 1 || tk < 1 || rm < 1 || rn < 1 || tm % rm != 0 || tn % rn != 0 || tm > 512 || tn > 512 || tk > 512) {
            throw new IllegalArgumentException("GEMM tiles need positive sizes up to 512 with tm a multiple of rm and tn of rn, got " + text(tm, tn, tk, rm, rn));
        }
    }

    /** Work-items per work-group: one per register block of the tile. */
    public int threads() {
        return (tm / rm) * (tn / rn);
    }

    /** Bytes of local memory a work-group stages A's and B's slices in. */
    public long localBytes() {
        return 4L * tk * (tm + tn);
    }

    /** The build options that select these tiles in {@code gemm.cl}. */
    public String buildOptions() {
        return "-DNNC_TM=" + tm + " -DNNC_TN=" + tn + " -DNNC_TK=" + tk + " -DNNC_RM=" + rm + " -DNNC_RN=" + rn;
    }

    /** {@code tm,tn,tk,rm,rn}, as {@link #parse} reads it. */
    @Override
    public String toString() {
        return text(tm, tn, tk, rm, rn);
    }

    /** Tiles from {@code tm,tn,tk,rm,rn} (the {@code nnc.opencl.gemm.tiles} property and the tuning cache). */
    public static GemmTiles parse(String text) {
        String[] parts = text.strip().split("\\s*,\\s*");
        if (parts.length != 5) throw new IllegalArgumentException("GEMM tiles are tm,tn,tk,rm,rn (five integers), got '" + text + "'");
        int[] v = new int[5];
        for (int i = 0; i < 5; i++) {
            try {
                v[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("GEMM tiles are tm,tn,tk,rm,rn (five integers), got '" + text + "'");
            }
        }
        return new GemmTiles(v[0], v[1], v[2], v[3], v[4]);
    }

    /** The OpenCL C of the tiled GEMM, {@code nnc_gemm_tile}, which generated programs include. */
    public static String source() {
        try (InputStream in = GemmTiles.class.getResourceAsStream("gemm.cl")) {
            if (in == null) throw new IllegalStateException("gemm.cl is missing from nnc-runtime-opencl's jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(int tm, int tn, int tk, int rm, int rn) {
        return tm + "," + tn + "," + tk + "," + rm + "," + rn;
    }
}
