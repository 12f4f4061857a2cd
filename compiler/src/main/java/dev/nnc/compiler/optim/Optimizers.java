package dev.nnc.compiler.optim;

import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Op.BinaryKind;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.Value;
import dev.nnc.runtime.Hyperparameters;
import dev.nnc.runtime.Training.Optimizer;
import java.util.Map;

/**
 * Appends an optimizer's update to a training graph: for every weight, the new value (and new slot values) as
 * graph updates — the weight's first, so its new slot values can be computed inside its update and again inside
 * the slots' own, never stored in between — following PyTorch's {@code torch.optim} formulas so results match step for step. The learning
 * rate and Adam's bias corrections are scalar inputs the runtime sets before each step (named from
 * {@link Hyperparameters}); everything else is a constant baked into the graph.
 */
public final class Optimizers {

    private final GraphBuilder b;

    private Optimizers(GraphBuilder b) {
        this.b = b;
    }

    /** Adds the updates of {@code spec} for each weight given its gradient. */
    public static void apply(GraphBuilder b, Optimizer spec, Map<Param, Value> gradients) {
        apply(b, spec, gradients, 1);
    }

    /**
     * Adds the updates of {@code spec} with the learning rate input scaled by {@code lrScale} (several optimizers in
     * one step share the scheduled {@code lr} input; each keeps its own ratio to it).
     */
    public static void apply(GraphBuilder b, Optimizer spec, Map<Param, Value> gradients, double lrScale) {
        new Optimizers(b).run(spec, gradients, lrScale);
    }

    private void run(Optimizer spec, Map<Param, Value> gradients, double lrScale) {
        TensorType scalar = TensorType.f32(Shape.scalar());
        Value scheduled = hyper(Hyperparameters.LR, scalar);
        Value lr = lrScale == 1 ? scheduled : mul(scheduled, c(lrScale));
        Value bias1 = spec.isAdam() ? hyper(Hyperparameters.ADAM_BIAS1, scalar) : null;
        Value bias2Sqrt = spec.isAdam() ? hyper(Hyperparameters.ADAM_BIAS2_SQRT, scalar) : null;
        gradients.forEach((param, grad) -> {
            Value p = param.value();
            switch (spec.kind()) {
                case SGD -> sgd(spec, p, grad, lr);
                case ADAM, ADAMW -> adam(spec, p, grad, lr, bias1, bias2Sqrt);
            }
        });
    }

    /** d = g + wd·p; buf = μ·buf + d; d = nesterov ? d + μ·buf : buf; p = p − lr·d (torch.optim.SGD, dampening 0). */
    private void sgd(Optimizer spec, Value p, Value g, Value lr) {
        Value d = spec.weightDecay() > 0 ? add(g, mul(c(spec.weightDecay()), p)) : g;
        if (spec.momentum() > 0) {
            Value buf = slot(p, "momentum_buffer");
            Value next = add(mul(c(spec.momentum()), buf), d);
            d = spec.nesterov() ? add(d, mul(c(spec.momentum()), next)) : next;
            b.update(p, sub(p, mul(lr, d)));
            b.update(buf, next);
        } else {
            b.update(p, sub(p, mul(lr, d)));
        }
    }

    /**
     * AdamW first decays p ← p·(1 − lr·wd); Adam adds wd·p to g instead. Then m = β1·m + (1 − β1)·g,
     * v = β2·v + (1 − β2)·g², p = p − (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + eps) (torch.optim.Adam/AdamW).
     */
    private void adam(Optimizer spec, Value p, Value g, Value lr, Value bias1, Value bias2Sqrt) {
        Value base = p;
        Value grad = g;
        if (spec.weightDecay() > 0) {
            if (spec.kind() == Optimizer.Kind.ADAMW) {
                base = mul(p, sub(c(1), mul(lr, c(spec.weightDecay()))));
            } else {
                grad = add(g, mul(c(spec.weightDecay()), p));
            }
        }
        Value m = slot(p, "exp_avg");
        Value v = slot(p, "exp_avg_sq");
        Value m1 = add(mul(c(spec.beta1()), m), mul(c(1 - spec.beta1()), grad));
        Value v1 = add(mul(c(spec.beta2()), v), mul(c(1 - spec.beta2()), mul(grad, grad)));
        Value denom = add(div(unary(Op.UnaryKind.SQRT, v1), bias2Sqrt), c(spec.eps()));
        Value stepSize = div(lr, bias1);
        b.update(p, sub(base, mul(stepSize, div(m1, denom))));
        b.update(m, m1);
        b.update(v, v1);
    }

    /** The scalar input the runtime sets before each step, declared once however many optimizers read it. */
    private Value hyper(String name, TensorType type) {
        return b.findInput(name).orElseGet(() -> b.input(name, type));
    }

    private Value slot(Value p, String name) {
        return b.param(p.name() + "." + name, p.type(), Init.zeros(), Param.Role.SLOT);
    }

    private Value c(double value) {
        return b.add(new Op.Constant((float) value), "c");
    }

    private Value unary(Op.UnaryKind kind, Value x) {
        return b.add(new Op.Unary(kind, x), "opt");
    }

    private Value binary(BinaryKind kind, Value a, Value c) {
        return b.add(new Op.Binary(kind, a, c), "opt");
    }

    private Value add(Value a, Value c) {
        return binary(BinaryKind.ADD, a, c);
    }

    private Value sub(Value a, Value c) {
        return binary(BinaryKind.SUB, a, c);
    }

    private Value mul(Value a, Value c) {
        return binary(BinaryKind.MUL, a, c);
    }

    private Value div(Value a, Value c) {
        return binary(BinaryKind.DIV, a, c);
    }
}
