package dev.nnc.dsl;

import dev.nnc.dsl.ast.AstPrinter;
import java.util.Objects;

/** One parameter of a {@link Signature}: its name, the kind of value it takes and what it gets when omitted. */
public record ParamSpec(String name, ArgKind kind, ParamDefault whenOmitted) {

    public ParamSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(whenOmitted, "whenOmitted");
    }

    /** True when a call must pass this parameter. */
    public boolean required() {
        return whenOmitted instanceof ParamDefault.Required;
    }

    /** The parameter as shown in a signature hint: {@code units: int}, {@code bias: bool = true}, {@code [name: string]}. */
    public String describe() {
        String base = name + ": " + kind.typeName();
        return switch (whenOmitted) {
            case ParamDefault.Required required -> base;
            case ParamDefault.Omittable omittable -> "[" + base + "]";
            case ParamDefault.Constant constant -> base + " = " + AstPrinter.inline(constant.value());
            case ParamDefault.SameAs sameAs -> base + " = " + sameAs.param();
        };
    }
}
