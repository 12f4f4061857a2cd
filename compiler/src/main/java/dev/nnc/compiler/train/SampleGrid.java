package dev.nnc.compiler.train;

import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Images from a trained generator: runs the model on uniform [−1, 1) noise and tiles its outputs, read as square
 * grey-scale images with values in [0, 1], into one PNG grid (written aside, then renamed).
 */
public final class SampleGrid {

    private SampleGrid() {}

    /** The side of a square image with {@code pixels} pixels, or 0 if {@code pixels} is not a square. */
    public static int side(long pixels) {
        int side = (int) Math.round(Math.sqrt(pixels));
        return (long) side * side == pixels ? side : 0;
    }

    /** Writes a {@code columns × rows} grid of generated images to {@code png}. */
    public static void write(Session generator, TensorSpec noise, String output, int columns, int rows, long seed, Path png) throws IOException {
        int count = columns * rows;
        long perExample = noise.rowElements();
        float[] z = new float[(int) (count * perExample)];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < z.length; i++) z[i] = (float) (2 * random.nextDouble() - 1);
        long[] shape = noise.shapeAt(count);
        Tensor images = generator.run(Map.of(noise.name(), Tensor.of(z, shape))).get(output);
        float[] pixels = images.toFloatArray();
        int side = side(pixels.length / count);
        if (side == 0) throw new IllegalArgumentException("output " + output + " is not made of square images");
        int gap = 2;
        BufferedImage grid = new BufferedImage(columns * (side + gap) + gap, rows * (side + gap) + gap, BufferedImage.TYPE_BYTE_GRAY);
        for (int k = 0; k < count; k++) {
            int left = gap + (k % columns) * (side + gap);
            int top = gap + (k / columns) * (side + gap);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    float v = Math.clamp(pixels[k * side * side + y * side + x], 0f, 1f);
                    int grey = Math.round(v * 255);
                    grid.getRaster().setSample(left + x, top + y, 0, grey);
                }
            }
        }
        OutputFiles.writeAtomically(png, out -> {
            if (!ImageIO.write(grid, "png", out)) throw new IOException("no PNG writer in this JDK");
        });
    }
}
