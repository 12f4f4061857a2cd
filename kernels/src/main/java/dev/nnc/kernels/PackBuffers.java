package dev.nnc.kernels;

/**
 * One thread's reusable scratch arrays for {@link GemmBlocked}; each grows to the largest size asked
 * for and is then reused. Not thread-safe: held in a {@link ThreadLocal}.
 */
final class PackBuffers {

    private float[] packedA = new float[0];
    private float[] packedB = new float[0];
    private float[] strip = new float[0];
    private float[] tile = new float[0];

    float[] packedA(int floats) {
        if (packedA.length < floats) {
            packedA = new float[floats];
        }
        return packedA;
    }

    float[] packedB(int floats) {
        if (packedB.length < floats) {
            packedB = new float[floats];
        }
        return packedB;
    }

    float[] strip(int floats) {
        if (strip.length < floats) {
            strip = new float[floats];
        }
        return strip;
    }

    float[] tile(int floats) {
        if (tile.length < floats) {
            tile = new float[floats];
        }
        return tile;
    }
}
