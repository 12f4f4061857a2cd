package dev.nnc.compiler.emit;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.kernel.LibraryCall;
import dev.nnc.compiler.kernel.Operand;
import dev.nnc.compiler.kernel.Window;

/**
 * The library calls of a kernel program as OpenCL kernels, with the semantics of their {@code dev.nnc.kernels}
 * counterparts (which the class comments there define). Every call is written in gather form: one work-item per
 * element it writes, summing what contributes to that element, so no two work-items write one place and no atomics
 * are needed. A call whose steps depend on each other (a recurrent layer over time) is one kernel per step, launched
 * in order on the in-order queue.
 */
final class OpenClCalls {

    private final OpenClEmitter out;

    OpenClCalls(OpenClEmitter out) {
        this.out = out;
    }

    void emit(String name, LibraryCall call) {
        switch (call) {
            case LibraryCall.Gemm g -> out.gemm(name, g);
            case LibraryCall.Conv2d c -> conv(name, c);
            case LibraryCall.Conv2dInputGrad c -> convInputGrad(name, c);
            case LibraryCall.Conv2dWeightGrad c -> convWeightGrad(name, c);
            case LibraryCall.Pool2d p -> pool(name, p);
            case LibraryCall.Pool2dGrad p -> poolGrad(name, p);
            case LibraryCall.CausalMask m -> out.kernel(name, "    const long i = get_global_id(0) / " + m.n() + ", j = get_global_id(0) % " + m.n() + ";\n"
                    + "    " + at(m.out(), "get_global_id(0)") + " = j > i ? -INFINITY : 0.0f;\n", Dim.of((long) m.n() * m.n()));
            case LibraryCall.OneHot o -> out.kernel(name, "    const long c = get_global_id(0) % " + o.classes() + ", row = get_global_id(0) / " + o.classes() + ";\n"
                    + "    const int label = " + intAt(o.labels(), "row") + ";\n"
                    + "    " + at(o.out(), "get_global_id(0)") + " = label == c ? 1.0f : 0.0f;\n", o.rows().times(o.classes()));
            // kernels.Random.uniform(seed ^ (stream · 0x9E3779B9), i): the first SplitMix64 output, its top 24 bits
            case LibraryCall.Uniform u -> out.kernel(name, "    const ulong i = get_global_id(0);\n"
                    + "    const uint seed = (uint) (" + intAt(u.seed(), "0") + " ^ " + Op.RandomUniform.mixedSeed(0, u.stream()) + ");\n"
                    + "    ulong z = (((ulong) seed) << 32) ^ i;\n"
                    + "    z += 0x9E3779B97F4A7C15UL;\n"
                    + "    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;\n"
                    + "    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;\n"
                    + "    z = z ^ (z >> 31);\n"
                    + "    " + at(u.out(), "get_global_id(0)") + " = (float) (z >> 40) * 0x1.0p-24f;\n", u.count());
            case LibraryCall.RecurrentForward r -> recurrent(name, r);
            case LibraryCall.RecurrentBackward r -> recurrentBackward(name, r);
        }
    }

    // ---- convolution and pooling -----------------------------------------------------------------

    /** A direct convolution: one work-item per output element, summing over channels and the window (zero padding). */
    private void conv(String name, LibraryCall.Conv2d c) {
        Window w = c.window();
        int oh = w.outH(), ow = w.outW();
        String body = "    const long ox = get_global_id(0) % " + ow + ", oy = (get_global_id(0) / " + ow + ") % " + oh
                + ", kk = (get_global_id(0) / " + ((long) ow * oh) + ") % " + c.k() + ", b = get_global_id(0) / " + ((long) ow * oh * c.k()) + ";\n"
                + "    float acc = 0.0f;\n"
                + "    for (int ch = 0; ch < " + w.c() + "; ch++) for (int ky = 0; ky < " + w.kh() + "; ky++) for (int kx = 0; kx < " + w.kw() + "; kx++) {\n"
                + "        const long iy = oy * " + w.strideH() + " - " + w.padH() + " + ky, ix = ox * " + w.strideW() + " - " + w.padW() + " + kx;\n"
                + "        if (iy < 0 || iy >= " + w.h() + " || ix < 0 || ix >= " + w.w() + ") continue;\n"
                + "        acc = fma(" + at(c.x(), "((b * " + w.c() + " + ch) * " + w.h() + " + iy) * " + w.w() + " + ix") + ", "
                + at(c.weight(), "((kk * " + w.c() + " + ch) * " + w.kh() + " + ky) * " + w.kw() + " + kx") + ", acc);\n"
                + "    }\n"
                + "    " + at(c.y(), "get_global_id(0)") + " = acc;\n";
        out.kernel(name, body, w.n().times((long) c.k() * oh * ow));
    }

    /**
     * The input gradient (a transposed convolution): one work-item per input element sums dy · weight over every
     * output position and tap that read it; positions no window covers get 0.
     */
    private void convInputGrad(String name, LibraryCall.Conv2dInputGrad c) {
        Window w = c.window();
        int oh = w.outH(), ow = w.outW();
        String body = "    const long ix = get_global_id(0) % " + w.w() + ", iy = (get_global_id(0) / " + w.w() + ") % " + w.h()
                + ", ch = (get_global_id(0) / " + ((long) w.w() * w.h()) + ") % " + w.c() + ", b = get_global_id(0) / " + ((long) w.w() * w.h() * w.c()) + ";\n"
                + "    float acc = 0.0f;\n"
                + "    for (int kk = 0; kk < " + c.k() + "; kk++) for (int ky = 0; ky < " + w.kh() + "; ky++) for (int kx = 0; kx < " + w.kw() + "; kx++) {\n"
                + "        const long ty = iy + " + w.padH() + " - ky, tx = ix + " + w.padW() + " - kx;\n"
                + "        if (ty < 0 || tx < 0 || ty % " + w.strideH() + " != 0 || tx % " + w.strideW() + " != 0) continue;\n"
                + "        const long oy = ty / " + w.strideH() + ", ox = tx / " + w.strideW() + ";\n"
                + "        if (oy >= " + oh + " || ox >= " + ow + ") continue;\n"
                + "        acc = fma(" + at(c.dy(), "((b * " + c.k() + " + kk) * " + oh + " + oy) * " + ow + " + ox") + ", "
                + at(c.weight(), "((kk * " + w.c() + " + ch) * " + w.kh() + " + ky) * " + w.kw() + " + kx") + ", acc);\n"
                + "    }\n"
                + "    " + at(c.dx(), "get_global_id(0)") + " = acc;\n";
        out.kernel(name, body, w.n().times((long) w.c() * w.h() * w.w()));
    }

    /** The weight gradient: one work-item per weight sums x · dy over the images and output positions. */
    private void convWeightGrad(String name, LibraryCall.Conv2dWeightGrad c) {
        Window w = c.window();
        int oh = w.outH(), ow = w.outW();
        String body = "    const long kx = get_global_id(0) % " + w.kw() + ", ky = (get_global_id(0) / " + w.kw() + ") % " + w.kh()
                + ", ch = (get_global_id(0) / " + ((long) w.kw() * w.kh()) + ") % " + w.c() + ", kk = get_global_id(0) / " + ((long) w.kw() * w.kh() * w.c()) + ";\n"
                + "    float acc = 0.0f;\n"
                + "    for (long b = 0; b < " + OpenClEmitter.extent(w.n()) + "; b++) for (int oy = 0; oy < " + oh + "; oy++) {\n"
                + "        const long iy = oy * " + w.strideH() + " - " + w.padH() + " + ky;\n"
                + "        if (iy < 0 || iy >= " + w.h() + ") continue;\n"
                + "        for (int ox = 0; ox < " + ow + "; ox++) {\n"
                + "            const long ix = ox * " + w.strideW() + " - " + w.padW() + " + kx;\n"
                + "            if (ix < 0 || ix >= " + w.w() + ") continue;\n"
                + "            acc = fma(" + at(c.x(), "((b * " + w.c() + " + ch) * " + w.h() + " + iy) * " + w.w() + " + ix") + ", "
                + at(c.dy(), "((b * " + c.k() + " + kk) * " + oh + " + oy) * " + ow + " + ox") + ", acc);\n"
                + "        }\n"
                + "    }\n"
                + "    " + at(c.dw(), "get_global_id(0)") + " = acc;\n";
        out.kernel(name, body, Dim.of((long) c.k() * w.c() * w.kh() * w.kw()));
    }

    /** Max pooling (padding is −∞, NaN wins) or average pooling counting the padding, one work-item per output. */
    private void pool(String name, LibraryCall.Pool2d p) {
        Window w = p.window();
        int oh = w.outH(), ow = w.outW();
        boolean max = p.kind() == Op.PoolKind.MAX;
        String body = "    const long ox = get_global_id(0) % " + ow + ", oy = (get_global_id(0) / " + ow + ") % " + oh
                + ", plane = get_global_id(0) / " + ((long) ow * oh) + ";\n"
                + "    float acc = " + (max ? "-INFINITY" : "0.0f") + ";\n"
                + "    for (int ky = 0; ky < " + w.kh() + "; ky++) for (int kx = 0; kx < " + w.kw() + "; kx++) {\n"
                + "        const long iy = oy * " + w.strideH() + " - " + w.padH() + " + ky, ix = ox * " + w.strideW() + " - " + w.padW() + " + kx;\n"
                + "        if (iy < 0 || iy >= " + w.h() + " || ix < 0 || ix >= " + w.w() + ") continue;\n"
                + "        const float v = " + at(p.x(), "(plane * " + w.h() + " + iy) * " + w.w() + " + ix") + ";\n"
                + "        acc = " + (max ? "nnc_max(acc, v)" : "acc + v") + ";\n"
                + "    }\n"
                + "    " + at(p.y(), "get_global_id(0)") + " = " + (max ? "acc" : "acc / " + OpenClEmitter.literal(w.kh() * w.kw())) + ";\n";
        out.kernel(name, body, w.n().times((long) w.c() * oh * ow));
    }

    /**
     * Pooling's input gradient: one work-item per input element adds, in window order, the dy of every window that
     * covers it and (max pooling) chose it, by {@code Pool.windowArgMax}'s rule: the first in-bounds position,
     * replaced by a strictly greater value or a NaN.
     */
    private void poolGrad(String name, LibraryCall.Pool2dGrad p) {
        Window w = p.window();
        int oh = w.outH(), ow = w.outW();
        boolean max = p.kind() == Op.PoolKind.MAX;
        StringBuilder body = new StringBuilder()
                .append("    const long ix = get_global_id(0) % ").append(w.w()).append(", iy = (get_global_id(0) / ").append(w.w()).append(") % ")
                .append(w.h()).append(", plane = get_global_id(0) / ").append((long) w.w() * w.h()).append(";\n")
                .append("    const long ty = iy + ").append(w.padH()).append(" - ").append(w.kh() - 1).append(", tx = ix + ").append(w.padW())
                .append(" - ").append(w.kw() - 1).append(";\n")
                .append("    const long oyLo = ty <= 0 ? 0 : (ty + ").append(w.strideH() - 1).append(") / ").append(w.strideH())
                .append(", oyHi = min((long) ").append(oh - 1).append(", (iy + ").append(w.padH()).append(") / ").append(w.strideH()).append(");\n")
                .append("    const long oxLo = tx <= 0 ? 0 : (tx + ").append(w.strideW() - 1).append(") / ").append(w.strideW())
                .append(", oxHi = min((long) ").append(ow - 1).append(", (ix + ").append(w.padW()).append(") / ").append(w.strideW()).append(");\n")
                .append("    float acc = 0.0f;\n")
                .append("    for (long oy = oyLo; oy <= oyHi; oy++) for (long ox = oxLo; ox <= oxHi; ox++) {\n")
                .append("        const float g = ").append(at(p.dy(), "(plane * " + oh + " + oy) * " + ow + " + ox")).append(";\n");
        if (max) {
            body.append("        const long yLo = max(oy * ").append(w.strideH()).append(" - ").append(w.padH()).append(", 0L), yHi = min(oy * ")
                    .append(w.strideH()).append(" - ").append(w.padH()).append(" + ").append(w.kh()).append(", (long) ").append(w.h()).append(");\n")
                    .append("        const long xLo = max(ox * ").append(w.strideW()).append(" - ").append(w.padW()).append(", 0L), xHi = min(ox * ")
                    .append(w.strideW()).append(" - ").append(w.padW()).append(" + ").append(w.kw()).append(", (long) ").append(w.w()).append(");\n")
                    .append("        long best = yLo * ").append(w.w()).append(" + xLo;\n")
                    .append("        float bestValue = -INFINITY;\n")
                    .append("        for (long y = yLo; y < yHi; y++) for (long x = xLo; x < xHi; x++) {\n")
                    .append("            const float v = ").append(at(p.x(), "plane * " + (long) w.h() * w.w() + " + y * " + w.w() + " + x")).append(";\n")
                    .append("            if (v > bestValue || isnan(v)) { bestValue = v; best = y * ").append(w.w()).append(" + x; }\n")
                    .append("        }\n")
                    .append("        if (best == iy * ").append(w.w()).append(" + ix) acc += g;\n");
        } else {
            body.append("        acc += g / ").append(OpenClEmitter.literal(w.kh() * w.kw())).append(";\n");
        }
        body.append("    }\n    ").append(at(p.dx(), "get_global_id(0)")).append(" = acc;\n");
        out.kernel(name, body.toString(), w.n().times((long) w.c() * w.h() * w.w()));
    }

    // ---- recurrent layers ------------------------------------------------------------------------

    /**
     * A recurrent layer over time as one kernel per step (each step reads the states the previous one wrote): one
     * work-item per (sequence, hidden unit) computes its gates from x_s and y_{s−1}, then the RNN's tanh or the LSTM's
     * cell and hidden state, as {@code Recurrent.rnnForward} / {@code lstmForward} do.
     */
    private void recurrent(String name, LibraryCall.RecurrentForward r) {
        boolean lstm = r.kind() == Op.RecurrentKind.LSTM;
        int t = r.t(), f = r.f(), h = r.h();
        for (int s = 0; s < t; s++) {
            StringBuilder body = new StringBuilder();
            body.append("    const long j = get_global_id(0) % ").append(h).append(", b = get_global_id(0) / ").append(h).append(";\n");
            body.append("    const long r = b * ").append(t).append(" + ").append(s).append(";\n");
            for (int g = 0; g < r.kind().gates(); g++) {
                preActivation(body, "z" + g, r.x(), r.wIh(), r.wHh(), r.y(), f, h, s > 0, "(" + g * h + " + j)");
                body.append("    z").append(g).append(" = z").append(g).append(" + ").append(at(r.bIh(), "(" + g * h + " + j)")).append(" + ")
                        .append(at(r.bHh(), "(" + g * h + " + j)")).append(";\n");
            }
            String y = at(r.y(), "r * " + h + " + j");
            if (!lstm) {
                body.append("    ").append(y).append(" = tanh(z0);\n");
            } else {
                body.append("    const float previous = ").append(s > 0 ? at(r.cells(), "(r - 1) * " + h + " + j") : "0.0f").append(";\n");
                body.append("    const float cell = nnc_sigmoid(z1) * previous + nnc_sigmoid(z0) * tanh(z2);\n");
                body.append("    ").append(at(r.cells(), "r * " + h + " + j")).append(" = cell;\n");
                body.append("    ").append(y).append(" = nnc_sigmoid(z3) * tanh(cell);\n");
            }
            out.kernel(name + "_s" + s, body.toString(), r.n().times(h));
        }
    }

    /** {@code float z = x_r · W_ih[unit] (+ y_{r−1} · W_hh[unit])}, the gate's products for row {@code r}. */
    private void preActivation(StringBuilder body, String z, Operand x, Operand wIh, Operand wHh, Operand y, int f, int h, boolean recurrent, String unit) {
        body.append("    float ").append(z).append(" = 0.0f;\n");
        body.append("    for (long p = 0; p < ").append(f).append("; p++) ").append(z).append(" = fma(").append(at(x, "r * " + f + " + p"))
                .append(", ").append(at(wIh, unit + " * " + f + " + p")).append(", ").append(z).append(");\n");
        if (recurrent) {
            body.append("    for (long q = 0; q < ").append(h).append("; q++) ").append(z).append(" = fma(").append(at(y, "(r - 1) * " + h + " + q"))
                    .append(", ").append(at(wHh, unit + " * " + h + " + q")).append(", ").append(z).append(");\n");
        }
    }

    /**
     * Backpropagation through time, as {@code Recurrent.rnnBackward} / {@code lstmBackward}: the pre-activation
     * gradients dz [n, t, gates·h] fill the start of scratch, one kernel per step backwards in time (an LSTM first
     * recomputes its activated gates there from x, y and the weights, and carries dc in scratch after them); then
     * dx, dW_ih, dW_hh and the bias gradients are one gather kernel each.
     */
    private void recurrentBackward(String name, LibraryCall.RecurrentBackward r) {
        boolean lstm = r.kind() == Op.RecurrentKind.LSTM;
        int t = r.t(), f = r.f(), h = r.h(), width = r.kind().gates() * h;
        String n = OpenClEmitter.extent(r.n());
        if (lstm) {
            StringBuilder gates = new StringBuilder();
            gates.append("    const long u = get_global_id(0) % ").append(width).append(", r = get_global_id(0) / ").append(width).append(";\n");
            preActivation(gates, "z", r.x(), r.wIh(), r.wHh(), r.y(), f, h, false, "u");
            gates.append("    if (r % ").append(t).append(" > 0) for (long q = 0; q < ").append(h).append("; q++) z = fma(")
                    .append(at(r.y(), "(r - 1) * " + h + " + q")).append(", ").append(at(r.wHh(), "u * " + h + " + q")).append(", z);\n");
            gates.append("    z = z + ").append(at(r.bIh(), "u")).append(" + ").append(at(r.bHh(), "u")).append(";\n");
            gates.append("    ").append(at(r.scratch(), "get_global_id(0)")).append(" = u >= ").append(2 * h).append(" && u < ").append(3 * h)
                    .append(" ? tanh(z) : nnc_sigmoid(z);\n");
            out.kernel(name + "_gates", gates.toString(), r.n().times((long) t * width));
        }
        for (int s = t - 1; s >= 0; s--) {
            boolean later = s < t - 1;
            StringBuilder body = new StringBuilder();
            body.append("    const long j = get_global_id(0) % ").append(h).append(", b = get_global_id(0) / ").append(h).append(";\n");
            body.append("    const long r = b * ").append(t).append(" + ").append(s).append(";\n");
            // dh_s = dy_s + dz_{s+1} · W_hh (W_hh is [width, h]: column j)
            body.append("    float hidden = ").append(at(r.dy(), "r * " + h + " + j")).append(";\n");
            if (later) {
                body.append("    for (long u = 0; u < ").append(width).append("; u++) hidden = fma(").append(at(r.scratch(), "(r + 1) * " + width + " + u"))
                        .append(", ").append(at(r.wHh(), "u * " + h + " + j")).append(", hidden);\n");
            }
            if (!lstm) {
                body.append("    const float state = ").append(at(r.y(), "r * " + h + " + j")).append(";\n");
                body.append("    ").append(at(r.scratch(), "r * " + h + " + j")).append(" = hidden * (1.0f - state * state);\n");
            } else {
                String gate = "r * " + width + " + ";
                String carry = at(r.scratch(), n + " * " + (long) t * width + " + b * " + h + " + j");
                body.append("    const float in = ").append(at(r.scratch(), gate + "j")).append(", forget = ").append(at(r.scratch(), gate + h + " + j"))
                        .append(", candidate = ").append(at(r.scratch(), gate + 2 * h + " + j")).append(", out = ")
                        .append(at(r.scratch(), gate + 3 * h + " + j")).append(";\n");
                body.append("    const float tanhCell = tanh(").append(at(r.cells(), "r * " + h + " + j")).append(");\n");
                body.append("    const float previousCell = ").append(s > 0 ? at(r.cells(), "(r - 1) * " + h + " + j") : "0.0f").append(";\n");
                body.append("    const float cell = hidden * out * (1.0f - tanhCell * tanhCell) + ").append(later ? carry : "0.0f").append(";\n");
                body.append("    ").append(carry).append(" = cell * forget;\n");
                body.append("    ").append(at(r.scratch(), gate + "j")).append(" = cell * candidate * in * (1.0f - in);\n");
                body.append("    ").append(at(r.scratch(), gate + h + " + j")).append(" = cell * previousCell * forget * (1.0f - forget);\n");
                body.append("    ").append(at(r.scratch(), gate + 2 * h + " + j")).append(" = cell * in * (1.0f - candidate * candidate);\n");
                body.append("    ").append(at(r.scratch(), gate + 3 * h + " + j")).append(" = hidden * tanhCell * out * (1.0f - out);\n");
            }
            out.kernel(name + "_s" + s, body.toString(), r.n().times(h));
        }
        weightAndInputGradients(name, r, width, n);
    }

    /** From dz [n·t, width] in scratch: dx = dz · W_ih, dW_ih = dzᵀ · x, dW_hh = Σ dz_{s}ᵀ · y_{s−1}, both bias gradients = Σ dz. */
    private void weightAndInputGradients(String name, LibraryCall.RecurrentBackward r, int width, String n) {
        int t = r.t(), f = r.f(), h = r.h();
        String rows = "(" + n + " * " + t + ")";
        Operand dz = r.scratch();
        out.kernel(name + "_dx", "    const long p = get_global_id(0) % " + f + ", r = get_global_id(0) / " + f + ";\n"
                + "    float acc = 0.0f;\n"
                + "    for (long u = 0; u < " + width + "; u++) acc = fma(" + at(dz, "r * " + width + " + u") + ", " + at(r.wIh(), "u * " + f + " + p") + ", acc);\n"
                + "    " + at(r.dx(), "get_global_id(0)") + " = acc;\n", r.n().times((long) t * f));
        out.kernel(name + "_dwih", "    const long p = get_global_id(0) % " + f + ", u = get_global_id(0) / " + f + ";\n"
                + "    float acc = 0.0f;\n"
                + "    for (long r = 0; r < " + rows + "; r++) acc = fma(" + at(dz, "r * " + width + " + u") + ", " + at(r.x(), "r * " + f + " + p") + ", acc);\n"
                + "    " + at(r.dW(), "get_global_id(0)") + " = acc;\n", Dim.of((long) width * f));
        out.kernel(name + "_dwhh", "    const long q = get_global_id(0) % " + h + ", u = get_global_id(0) / " + h + ";\n"
                + "    float acc = 0.0f;\n"
                + "    for (long b = 0; b < " + n + "; b++) for (long s = 1; s < " + t + "; s++) {\n"
                + "        const long r = b * " + t + " + s;\n"
                + "        acc = fma(" + at(dz, "r * " + width + " + u") + ", " + at(r.y(), "(r - 1) * " + h + " + q") + ", acc);\n"
                + "    }\n"
                + "    " + at(r.dW(), (long) width * f + " + get_global_id(0)") + " = acc;\n", Dim.of((long) width * h));
        long bias = (long) width * f + (long) width * h;
        out.kernel(name + "_db", "    const long u = get_global_id(0);\n"
                + "    float acc = 0.0f;\n"
                + "    for (long r = 0; r < " + rows + "; r++) acc += " + at(dz, "r * " + width + " + u") + ";\n"
                + "    " + at(r.dW(), bias + " + u") + " = acc;\n"
                + "    " + at(r.dW(), (bias + width) + " + u") + " = acc;\n", Dim.of(width));
    }

    // ---- text ------------------------------------------------------------------------------------

    /** The float at {@code index} (an expression) past operand {@code o}. */
    private String at(Operand o, String index) {
        return out.at(o, index);
    }

    /** The i32 at {@code index} past operand {@code o} (labels, seeds: the arena is one float array to the kernels). */
    private String intAt(Operand o, String index) {
        return "((__global const int*) " + OpenClEmitter.segment(o.buffer()) + ")[" + out.floatIndex(o) + " + " + index + "]";
    }
}
