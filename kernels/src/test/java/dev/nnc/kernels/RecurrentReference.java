package dev.nnc.kernels;

/**
 * Double-precision forward passes of a one-layer tanh RNN and LSTM, PyTorch's formulas written out
 * directly (batch-first, zero initial state, LSTM gates in the order i, f, g, o), for tests.
 */
final class RecurrentReference {

    /** The layer's input [n, t, f] and its parameters in PyTorch's layout, as doubles. */
    record Operands(int n, int t, int f, int h, double[] x, double[] wIh, double[] wHh, double[] bIh,
            double[] bHh) {
    }

    /** The forward pass's outputs: every hidden state y [n, t, h] and, for the LSTM, every cell state. */
    record States(double[] y, double[] cells) {
    }

    private RecurrentReference() {
    }

    static States rnn(Operands p) {
        int n = p.n();
        int t = p.t();
        int f = p.f();
        int h = p.h();
        double[] y = new double[n * t * h];
        for (int b = 0; b < n; b++) {
            for (int s = 0; s < t; s++) {
                for (int j = 0; j < h; j++) {
                    double pre = p.bIh()[j] + p.bHh()[j];
                    for (int q = 0; q < f; q++) {
                        pre += p.x()[(b * t + s) * f + q] * p.wIh()[j * f + q];
                    }
                    for (int q = 0; s > 0 && q < h; q++) {
                        pre += y[(b * t + s - 1) * h + q] * p.wHh()[j * h + q];
                    }
                    y[(b * t + s) * h + j] = Math.tanh(pre);
                }
            }
        }
        return new States(y, new double[0]);
    }

    static States lstm(Operands p) {
        int n = p.n();
        int t = p.t();
        int f = p.f();
        int h = p.h();
        double[] y = new double[n * t * h];
        double[] cells = new double[n * t * h];
        double[] gates = new double[4 * h];
        for (int b = 0; b < n; b++) {
            for (int s = 0; s < t; s++) {
                for (int g = 0; g < 4 * h; g++) {
                    double pre = p.bIh()[g] + p.bHh()[g];
                    for (int q = 0; q < f; q++) {
                        pre += p.x()[(b * t + s) * f + q] * p.wIh()[g * f + q];
                    }
                    for (int q = 0; s > 0 && q < h; q++) {
                        pre += y[(b * t + s - 1) * h + q] * p.wHh()[g * h + q];
                    }
                    gates[g] = pre;
                }
                for (int j = 0; j < h; j++) {
                    double in = sigmoid(gates[j]);
                    double forget = sigmoid(gates[h + j]);
                    double candidate = Math.tanh(gates[2 * h + j]);
                    double out = sigmoid(gates[3 * h + j]);
                    double previous = s > 0 ? cells[(b * t + s - 1) * h + j] : 0.0;
                    double cell = forget * previous + in * candidate;
                    cells[(b * t + s) * h + j] = cell;
                    y[(b * t + s) * h + j] = out * Math.tanh(cell);
                }
            }
        }
        return new States(y, cells);
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}
