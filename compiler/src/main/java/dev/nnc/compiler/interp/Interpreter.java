package dev.nnc.compiler.interp;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Value;
import dev.nnc.kernels.MathFns;
import dev.nnc.kernels.Random;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference interpreter: evaluates a graph in double precision with plain loops, one op at a time.
 * It is the oracle every compiled path is checked against, so it favours being obviously right over speed.
 */
public final class Interpreter {

    private Interpreter() {}

    /**
     * Runs {@code g} on named inputs and parameters; returns the named outputs. The batch size is taken from
     * the inputs' leading dimension; input shapes must match the graph at that batch.
     */
    public static Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs, Map<String, NdArray> params) {
        return step(g, inputs, params).outputs();
    }

    /** What one run of a graph produced: its outputs, and the new value of every updated parameter. */
    public record Step(Map<String, NdArray> outputs, Map<String, NdArray> updated) {}

    /** Runs {@code g} like {@link #run} and also evaluates its updates (a training step). */
    public static Step step(Graph g, Map<String, NdArray> inputs, Map<String, NdArray> params) {
        int batch = batchOf(g, inputs);
        Map<Value, NdArray> env = new HashMap<>();
        for (Value v : g.inputs()) env.put(v, checked(v, inputs.get(v.name()), batch, "input"));
        for (Param p : g.params()) env.put(p.value(), checked(p.value(), params.get(p.name()), batch, "parameter"));
        for (Node n : g.nodes()) {
            NdArray result = eval(n.op(), env, batch);
            env.put(n.out(), checked(n.out(), result, batch, "result"));
        }
        Map<String, NdArray> out = new LinkedHashMap<>();
        g.outputs().forEach((name, v) -> out.put(name, env.get(v)));
        Map<String, NdArray> updated = new LinkedHashMap<>();
        g.updates().forEach((param, v) -> updated.put(param.name(), env.get(v)));
        return new Step(out, updated);
    }

    private static int batchOf(Graph g, Map<String, NdArray> inputs) {
        for (Value v : g.inputs()) {
            NdArray a = inputs.get(v.name());
            if (a == null) throw new IllegalArgumentException("missing input " + v.name());
            if (v.shape().hasBatch() && a.rank() > 0) {
                long b = a.shape()[0] / v.shape().dim(0).factor();
                if (b < 1 || b > g.maxBatch()) throw new IllegalArgumentException("batch " + b + " is outside 1.." + g.maxBatch());
                return Math.toIntExact(b);
            }
        }
        return 1;
    }

    private static NdArray checked(Value v, NdArray a, int batch, String what) {
        if (a == null) throw new IllegalArgumentException("missing " + what + " " + v);
        if (!Arrays.equals(a.shape(), v.shape().sizes(batch))) {
            throw new IllegalArgumentException(what + " " + v + " should be " + Arrays.toString(v.shape().sizes(batch)) + ", got " + Arrays.toString(a.shape()));
        }
        return a;
    }

    private static NdArray eval(Op op, Map<Value, NdArray> env, int batch) {
        return switch (op) {
            case Op.Unary u -> unary(u.kind(), env.get(u.x()));
            case Op.Binary b -> binary(b.kind(), env.get(b.a()), env.get(b.b()));
            case Op.MatMul m -> matmul(env.get(m.a()), env.get(m.b()), m.transA(), m.transB());
            case Op.Conv2d c -> conv2d(env.get(c.x()), env.get(c.weight()), c);
            case Op.Pool2d p -> pool2d(env.get(p.x()), p);
            case Op.Reduce r -> reduce(r.kind(), env.get(r.x()), r.axis());
            case Op.Reshape r -> new NdArray(r.shape().sizes(batch), env.get(r.x()).data());
            case Op.Detach d -> env.get(d.x());
            case Op.Constant c -> new NdArray(new long[0], new double[] {c.value()});
            case Op.Broadcast b -> binary(Op.BinaryKind.ADD, env.get(b.x()), NdArray.zeros(b.shape().sizes(batch)));
            case Op.SizeOf s -> new NdArray(new long[0], new double[] {s.dim().at(batch)});
            case Op.OneHot o -> oneHot(env.get(o.labels()), o.classes());
            case Op.RandomUniform r -> {
                int seed = Op.RandomUniform.mixedSeed((int) env.get(r.seed()).data()[0], r.stream());
                NdArray u = NdArray.zeros(r.shape().sizes(batch));
                for (int i = 0; i < u.data().length; i++) u.data()[i] = Random.uniform(seed, i);
                yield u;
            }
            case Op.Conv2dInputGrad c -> conv2dInputGrad(env.get(c.dy()), env.get(c.weight()), c.inputShape().sizes(batch), c);
            case Op.Conv2dWeightGrad c -> conv2dWeightGrad(env.get(c.x()), env.get(c.dy()), c.weightShape().sizes(batch), c);
            case Op.Pool2dGrad p -> pool2dGrad(env.get(p.x()), env.get(p.dy()), p);
            case Op.Transpose t -> transpose(env.get(t.x()), t.perm());
            case Op.Slice sl -> slice(env.get(sl.x()), sl.axis(), sl.start(), sl.end());
            case Op.Concat c -> concat(c.xs().stream().map(env::get).toList(), c.axis());
            case Op.CausalMask m -> {
                NdArray mask = NdArray.zeros(m.n(), m.n());
                for (int i = 0; i < m.n(); i++) for (int j = i + 1; j < m.n(); j++) mask.data()[i * m.n() + j] = Double.NEGATIVE_INFINITY;
                yield mask;
            }
            case Op.Recurrent r -> recurrent(r, env.get(r.x()), env.get(r.wIh()), env.get(r.wHh()), env.get(r.bIh()), env.get(r.bHh()));
            case Op.RecurrentGrad g -> recurrentGrad(g, env);
        };
    }

    static double apply(Op.UnaryKind kind, double x) {
        return switch (kind) {
            case NEG -> -x;
            case RELU -> x > 0 ? x : 0;
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case TANH -> Math.tanh(x);
            case GELU -> MathFns.geluExact(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case STEP -> x > 0 ? 1 : 0;
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case GELU_GRAD -> MathFns.geluGradExact(x);
            case SOFTPLUS -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
        };
    }

    static double apply(Op.BinaryKind kind, double a, double b) {
        return switch (kind) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case GE -> a >= b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
        };
    }

    private static NdArray unary(Op.UnaryKind kind, NdArray x) {
        double[] y = new double[x.data().length];
        for (int i = 0; i < y.length; i++) y[i] = apply(kind, x.data()[i]);
        return new NdArray(x.shape(), y);
    }

    private static NdArray binary(Op.BinaryKind kind, NdArray a, NdArray b) {
        int rank = Math.max(a.rank(), b.rank());
        long[] shape = new long[rank];
        long[] as = broadcastStrides(a.shape(), rank);
        long[] bs = broadcastStrides(b.shape(), rank);
        long[] ap = padded(a.shape(), rank);
        long[] bp = padded(b.shape(), rank);
        for (int i = 0; i < rank; i++) shape[i] = Math.max(ap[i], bp[i]);
        NdArray out = NdArray.zeros(shape);
        long[] index = new long[rank];
        for (int flat = 0; flat < out.data().length; flat++) {
            long ai = 0;
            long bi = 0;
            for (int d = 0; d < rank; d++) {
                ai += index[d] * as[d];
                bi += index[d] * bs[d];
            }
            out.data()[flat] = apply(kind, a.data()[(int) ai], b.data()[(int) bi]);
            for (int d = rank - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
        }
        return out;
    }

    private static long[] padded(long[] shape, int rank) {
        long[] p = new long[rank];
        Arrays.fill(p, 1);
        System.arraycopy(shape, 0, p, rank - shape.length, shape.length);
        return p;
    }

    /** Row-major strides of {@code shape} right-aligned to {@code rank}, with 0 where a dimension is broadcast. */
    private static long[] broadcastStrides(long[] shape, int rank) {
        long[] p = padded(shape, rank);
        long[] s = new long[rank];
        long acc = 1;
        for (int d = rank - 1; d >= 0; d--) {
            s[d] = p[d] == 1 ? 0 : acc;
            acc *= p[d];
        }
        return s;
    }

    /** A batch of matrix products over the last two dimensions. */
    private static NdArray matmul(NdArray a, NdArray b, boolean transA, boolean transB) {
        long[] as = a.shape();
        long[] bs = b.shape();
        int r = as.length;
        int m = (int) (transA ? as[r - 1] : as[r - 2]);
        int k = (int) (transA ? as[r - 2] : as[r - 1]);
        int n = (int) (transB ? bs[r - 2] : bs[r - 1]);
        long[] cs = as.clone();
        cs[r - 2] = m;
        cs[r - 1] = n;
        NdArray c = NdArray.zeros(cs);
        int batches = a.data().length / (m * k);
        for (int q = 0; q < batches; q++) {
            int ao = q * m * k, bo = q * k * n, co = q * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double av = transA ? a.data()[ao + p * m + i] : a.data()[ao + i * k + p];
                        double bv = transB ? b.data()[bo + j * k + p] : b.data()[bo + p * n + j];
                        s += av * bv;
                    }
                    c.data()[co + i * n + j] = s;
                }
            }
        }
        return c;
    }

    private static NdArray transpose(NdArray x, List<Integer> perm) {
        long[] xs = x.shape();
        long[] ys = new long[xs.length];
        for (int d = 0; d < ys.length; d++) ys[d] = xs[perm.get(d)];
        long[] xStrides = strides(xs);
        NdArray y = NdArray.zeros(ys);
        long[] index = new long[ys.length];
        for (int flat = 0; flat < y.data().length; flat++) {
            long src = 0;
            for (int d = 0; d < ys.length; d++) src += index[d] * xStrides[perm.get(d)];
            y.data()[flat] = x.data()[(int) src];
            for (int d = ys.length - 1; d >= 0 && ++index[d] == ys[d]; d--) index[d] = 0;
        }
        return y;
    }

    private static NdArray slice(NdArray x, int axis, long start, long end) {
        long[] xs = x.shape();
        long[] ys = xs.clone();
        ys[axis] = end - start;
        long[] xStrides = strides(xs);
        NdArray y = NdArray.zeros(ys);
        long[] index = new long[ys.length];
        for (int flat = 0; flat < y.data().length; flat++) {
            long src = start * xStrides[axis];
            for (int d = 0; d < ys.length; d++) src += index[d] * xStrides[d];
            y.data()[flat] = x.data()[(int) src];
            for (int d = ys.length - 1; d >= 0 && ++index[d] == ys[d]; d--) index[d] = 0;
        }
        return y;
    }

    private static NdArray concat(List<NdArray> xs, int axis) {
        long[] ys = xs.getFirst().shape();
        ys[axis] = xs.stream().mapToLong(a -> a.shape()[axis]).sum();
        NdArray y = NdArray.zeros(ys);
        long[] yStrides = strides(ys);
        long offset = 0;
        for (NdArray x : xs) {
            long[] shape = x.shape();
            long[] index = new long[shape.length];
            for (int flat = 0; flat < x.data().length; flat++) {
                long dst = offset * yStrides[axis];
                for (int d = 0; d < shape.length; d++) dst += index[d] * yStrides[d];
                y.data()[(int) dst] = x.data()[flat];
                for (int d = shape.length - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
            }
            offset += shape[axis];
        }
        return y;
    }

    /** The states of a tanh RNN or an LSTM (gates i, f, g, o) over x [n, t, f] from zero, in double precision. */
    private static NdArray recurrent(Op.Recurrent r, NdArray x, NdArray wIh, NdArray wHh, NdArray bIh, NdArray bHh) {
        int n = (int) x.shape()[0], t = (int) x.shape()[1], f = (int) x.shape()[2], h = (int) wHh.shape()[1];
        int g = r.kind().gates();
        NdArray hidden = NdArray.zeros(n, t, h);
        NdArray cells = NdArray.zeros(n, t, h);
        for (int b = 0; b < n; b++) {
            double[] state = new double[h];
            double[] cell = new double[h];
            for (int s = 0; s < t; s++) {
                double[] z = new double[g * h];
                for (int j = 0; j < g * h; j++) {
                    double acc = bIh.data()[j] + bHh.data()[j];
                    for (int i = 0; i < f; i++) acc += x.data()[(b * t + s) * f + i] * wIh.data()[j * f + i];
                    for (int i = 0; i < h; i++) acc += state[i] * wHh.data()[j * h + i];
                    z[j] = acc;
                }
                for (int j = 0; j < h; j++) {
                    if (r.kind() == Op.RecurrentKind.RNN) {
                        state[j] = Math.tanh(z[j]);
                    } else {
                        double in = sigmoid(z[j]), forget = sigmoid(z[h + j]), candidate = Math.tanh(z[2 * h + j]), out = sigmoid(z[3 * h + j]);
                        cell[j] = forget * cell[j] + in * candidate;
                        state[j] = out * Math.tanh(cell[j]);
                    }
                }
                // all gates of a step read the previous state, so the state is updated only after the whole step
                for (int j = 0; j < h; j++) {
                    hidden.data()[(b * t + s) * h + j] = state[j];
                    cells.data()[(b * t + s) * h + j] = cell[j];
                }
            }
        }
        return r.cells() ? cells : hidden;
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /**
     * Backpropagation through time in double precision, written out on its own (not the library kernels, so the
     * compiled BPTT is compared with an independent implementation). From the forward states {@code y} (and the LSTM's
     * cells), backwards over the steps: the state gradient is dy_s plus what step s+1 sends back through W_hh; through
     * the activations it gives the pre-activation gradients dz_s, which accumulate dW_ih += dz_sᵀ·x_s,
     * dW_hh += dz_sᵀ·y_{s−1}, db += dz_s and give dx_s = dz_s·W_ih. The packed weight gradient is
     * [dW_ih, dW_hh, db_ih, db_hh] (the two bias gradients are equal).
     */
    private static NdArray recurrentGrad(Op.RecurrentGrad g, Map<Value, NdArray> env) {
        double[] x = env.get(g.x()).data(), wIh = env.get(g.wIh()).data(), wHh = env.get(g.wHh()).data();
        double[] bIh = env.get(g.bIh()).data(), bHh = env.get(g.bHh()).data(), y = env.get(g.y()).data(), dy = env.get(g.dy()).data();
        double[] cells = g.cells() == null ? null : env.get(g.cells()).data();
        long[] shape = env.get(g.x()).shape();
        int n = (int) shape[0], t = (int) shape[1], f = (int) shape[2], h = (int) g.wHh().shape().size(1);
        boolean lstm = g.kind() == Op.RecurrentKind.LSTM;
        int gh = g.kind().gates() * h;
        double[] dx = new double[n * t * f];
        double[] dWih = new double[gh * f], dWhh = new double[gh * h], db = new double[gh];
        for (int b = 0; b < n; b++) {
            double[] dhNext = new double[h];
            double[] dcNext = new double[h];
            for (int s = t - 1; s >= 0; s--) {
                int row = (b * t + s) * h;
                int previous = s > 0 ? row - h : -1;    // y_{s−1}, c_{s−1}; zero before the first step
                double[] z = new double[gh];
                for (int j = 0; j < gh; j++) {
                    double acc = bIh[j] + bHh[j];
                    for (int i = 0; i < f; i++) acc += x[(b * t + s) * f + i] * wIh[j * f + i];
                    if (previous >= 0) for (int i = 0; i < h; i++) acc += y[previous + i] * wHh[j * h + i];
                    z[j] = acc;
                }
                double[] dz = new double[gh];
                for (int j = 0; j < h; j++) {
                    double dh = dy[row + j] + dhNext[j];
                    if (!lstm) {
                        dz[j] = dh * (1 - y[row + j] * y[row + j]);
                        continue;
                    }
                    double in = sigmoid(z[j]), forget = sigmoid(z[h + j]), candidate = Math.tanh(z[2 * h + j]), out = sigmoid(z[3 * h + j]);
                    double tanhCell = Math.tanh(cells[row + j]);
                    double cellBefore = previous >= 0 ? cells[previous + j] : 0;
                    double dc = dcNext[j] + dh * out * (1 - tanhCell * tanhCell);
                    dz[j] = dc * candidate * in * (1 - in);
                    dz[h + j] = dc * cellBefore * forget * (1 - forget);
                    dz[2 * h + j] = dc * in * (1 - candidate * candidate);
                    dz[3 * h + j] = dh * tanhCell * out * (1 - out);
                    dcNext[j] = dc * forget;
                }
                Arrays.fill(dhNext, 0);
                for (int j = 0; j < gh; j++) {
                    db[j] += dz[j];
                    for (int i = 0; i < f; i++) {
                        dWih[j * f + i] += dz[j] * x[(b * t + s) * f + i];
                        dx[(b * t + s) * f + i] += dz[j] * wIh[j * f + i];
                    }
                    for (int i = 0; i < h; i++) {
                        if (previous >= 0) dWhh[j * h + i] += dz[j] * y[previous + i];
                        dhNext[i] += dz[j] * wHh[j * h + i];
                    }
                }
            }
        }
        if (!g.weights()) return new NdArray(shape, dx);
        double[] packed = new double[dWih.length + dWhh.length + 2 * gh];
        System.arraycopy(dWih, 0, packed, 0, dWih.length);
        System.arraycopy(dWhh, 0, packed, dWih.length, dWhh.length);
        System.arraycopy(db, 0, packed, dWih.length + dWhh.length, gh);
        System.arraycopy(db, 0, packed, dWih.length + dWhh.length + gh, gh);
        return new NdArray(new long[] {packed.length}, packed);
    }

    private static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    private static NdArray conv2d(NdArray x, NdArray w, Op.Conv2d c) {
        long[] ws = w.shape();
        NdArray y = NdArray.zeros(x.shape()[0], ws[0], outSize(x.shape()[2], ws[2], c.strideH(), c.padH()), outSize(x.shape()[3], ws[3], c.strideW(), c.padW()));
        forEachTap(x.shape(), ws, y.shape(), c.strideH(), c.strideW(), c.padH(), c.padW(),
                (xi, wi, yi) -> y.data()[yi] += x.data()[xi] * w.data()[wi]);
        return y;
    }

    /** One product of a convolution: input element {@code x}, weight element {@code w}, output element {@code y} (flat indices). */
    @FunctionalInterface
    private interface Tap {
        void visit(int x, int w, int y);
    }

    /**
     * Visits every (output point, kernel position) pair of an NCHW convolution whose input position lies inside the
     * input, in order: batch, output channel, output row, column, input channel, kernel row, column.
     */
    private static void forEachTap(long[] xShape, long[] wShape, long[] yShape, int strideH, int strideW, int padH, int padW, Tap tap) {
        int n = (int) xShape[0], ch = (int) xShape[1], h = (int) xShape[2], wd = (int) xShape[3];
        int k = (int) wShape[0], kh = (int) wShape[2], kw = (int) wShape[3];
        int oh = (int) yShape[2], ow = (int) yShape[3];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < k; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        for (int ci = 0; ci < ch; ci++)
                            for (int u = 0; u < kh; u++)
                                for (int v = 0; v < kw; v++) {
                                    int yy = i * strideH - padH + u;
                                    int xx = j * strideW - padW + v;
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                                    tap.visit(((b * ch + ci) * h + yy) * wd + xx, ((o * ch + ci) * kh + u) * kw + v, ((b * k + o) * oh + i) * ow + j);
                                }
    }

    private static long outSize(long in, long kernel, int stride, int pad) {
        return (in + 2L * pad - kernel) / stride + 1;
    }

    private static NdArray pool2d(NdArray x, Op.Pool2d p) {
        long[] xs = x.shape();
        int n = (int) xs[0], ch = (int) xs[1], h = (int) xs[2], wd = (int) xs[3];
        int oh = (h + 2 * p.padH() - p.kernelH()) / p.strideH() + 1;
        int ow = (wd + 2 * p.padW() - p.kernelW()) / p.strideW() + 1;
        NdArray y = NdArray.zeros(n, ch, oh, ow);
        for (int b = 0; b < n; b++)
            for (int c = 0; c < ch; c++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double acc = p.kind() == Op.PoolKind.MAX ? Double.NEGATIVE_INFINITY : 0;
                        for (int u = 0; u < p.kernelH(); u++)
                            for (int v = 0; v < p.kernelW(); v++) {
                                int yy = i * p.strideH() - p.padH() + u;
                                int xx = j * p.strideW() - p.padW() + v;
                                if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                                double e = x.data()[((b * ch + c) * h + yy) * wd + xx];
                                acc = p.kind() == Op.PoolKind.MAX ? Math.max(acc, e) : acc + e;
                            }
                        y.data()[((b * ch + c) * oh + i) * ow + j] = p.kind() == Op.PoolKind.MAX ? acc : acc / (p.kernelH() * p.kernelW());
                    }
        return y;
    }

    private static NdArray oneHot(NdArray labels, int classes) {
        long[] shape = Arrays.copyOf(labels.shape(), labels.rank() + 1);
        shape[labels.rank()] = classes;
        NdArray y = NdArray.zeros(shape);
        for (int i = 0; i < labels.data().length; i++) {
            int label = (int) labels.data()[i];
            if (label >= 0 && label < classes) y.data()[i * classes + label] = 1;
        }
        return y;
    }

    /** dx[b,c,yy,xx] = Σ dy[b,o,i,j]·w[o,c,u,v] over the windows that read x[b,c,yy,xx]. */
    private static NdArray conv2dInputGrad(NdArray dy, NdArray w, long[] xShape, Op.Conv2dInputGrad c) {
        NdArray dx = NdArray.zeros(xShape);
        forEachTap(xShape, w.shape(), dy.shape(), c.strideH(), c.strideW(), c.padH(), c.padW(),
                (xi, wi, yi) -> dx.data()[xi] += dy.data()[yi] * w.data()[wi]);
        return dx;
    }

    /** dw[o,c,u,v] = Σ over images and windows of dy[b,o,i,j]·x[b,c,yy,xx]. */
    private static NdArray conv2dWeightGrad(NdArray x, NdArray dy, long[] wShape, Op.Conv2dWeightGrad c) {
        NdArray dw = NdArray.zeros(wShape);
        forEachTap(x.shape(), wShape, dy.shape(), c.strideH(), c.strideW(), c.padH(), c.padW(),
                (xi, wi, yi) -> dw.data()[wi] += dy.data()[yi] * x.data()[xi]);
        return dw;
    }

    /** Max: each window's gradient goes to its first maximum; average: spread evenly over the kh·kw window. */
    private static NdArray pool2dGrad(NdArray x, NdArray dy, Op.Pool2dGrad p) {
        long[] xs = x.shape();
        int n = (int) xs[0], ch = (int) xs[1], h = (int) xs[2], wd = (int) xs[3];
        int oh = (int) dy.shape()[2], ow = (int) dy.shape()[3];
        NdArray dx = NdArray.zeros(xs);
        for (int b = 0; b < n; b++)
            for (int c = 0; c < ch; c++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double g = dy.data()[((b * ch + c) * oh + i) * ow + j];
                        int best = -1;
                        double bestValue = Double.NEGATIVE_INFINITY;
                        for (int u = 0; u < p.kernelH(); u++)
                            for (int v = 0; v < p.kernelW(); v++) {
                                int yy = i * p.strideH() - p.padH() + u;
                                int xx = j * p.strideW() - p.padW() + v;
                                if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                                int at = ((b * ch + c) * h + yy) * wd + xx;
                                if (p.kind() == Op.PoolKind.AVG) {
                                    dx.data()[at] += g / (p.kernelH() * p.kernelW());
                                } else if (best < 0 || x.data()[at] > bestValue) {
                                    best = at;
                                    bestValue = x.data()[at];
                                }
                            }
                        if (p.kind() == Op.PoolKind.MAX && best >= 0) dx.data()[best] += g;
                    }
        return dx;
    }

    private static NdArray reduce(Op.ReduceKind kind, NdArray x, int axis) {
        long[] shape = x.shape();
        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        long inner = 1;
        for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
        int len = (int) shape[axis];
        long[] outShape = shape.clone();
        outShape[axis] = 1;
        NdArray y = NdArray.zeros(outShape);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                double acc = kind == Op.ReduceKind.MAX ? Double.NEGATIVE_INFINITY : 0;
                for (int r = 0; r < len; r++) {
                    double e = x.data()[(int) ((o * len + r) * inner + i)];
                    acc = kind == Op.ReduceKind.MAX ? Math.max(acc, e) : acc + e;
                }
                y.data()[(int) (o * inner + i)] = acc;
            }
        return y;
    }
}
