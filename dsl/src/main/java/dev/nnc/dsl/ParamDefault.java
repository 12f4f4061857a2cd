package dev.nnc.dsl;

import dev.nnc.dsl.ast.Expr;
import java.util.Objects;

/** What a parameter gets when a call leaves it out. */
public sealed interface ParamDefault {

    /** The call must pass it. */
    record Required() implements ParamDefault {
    }

    /** The call may leave it out and then it stays unbound; the compiler picks a value (e.g. layer names {@code fc1}). */
    record Omittable() implements ParamDefault {
    }

    /** The call may leave it out and then it is this expression. */
    record Constant(Expr value) implements ParamDefault {
        public Constant {
            Objects.requireNonNull(value, "value");
        }
    }

    /** The call may leave it out and then it is the value bound to another parameter (pooling stride = kernel). */
    record SameAs(String param) implements ParamDefault {
        public SameAs {
            Objects.requireNonNull(param, "param");
        }
    }
}
