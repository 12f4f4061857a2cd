package dev.nnc.dsl;

import dev.nnc.dsl.ast.BlockDecl;
import dev.nnc.dsl.ast.Param;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a layer, op or block accepts: its parameters in positional order. The first parameter of
 * a layer is its tensor input, which a pipeline {@code x |> layer(...)} fills.
 *
 * @param variadicInts true when any number of further positional int arguments may follow the
 *                     parameters (e.g. the dims of {@code reshape})
 * @param summary      one line saying what it computes
 */
public record Signature(String name, List<ParamSpec> params, boolean variadicInts, String summary) {

    public Signature {
        Objects.requireNonNull(name, "name");
        params = List.copyOf(params);
        Objects.requireNonNull(summary, "summary");
        Set<String> seen = new HashSet<>();
        for (ParamSpec param : params) {
            if (!seen.add(param.name())) {
                throw new IllegalArgumentException(name + ": duplicate parameter " + param.name());
            }
            if (param.whenOmitted() instanceof ParamDefault.SameAs(String other) && !seen.contains(other)) {
                throw new IllegalArgumentException(name + ": " + param.name() + " defaults to " + other
                        + ", which must be an earlier parameter");
            }
        }
    }

    /** The parameter called {@code paramName}, if there is one. */
    public Optional<ParamSpec> param(String paramName) {
        return params.stream().filter(p -> p.name().equals(paramName)).findFirst();
    }

    /** The signature as shown in hints, e.g. {@code dense(x: tensor, units: int, bias: bool = true, [name: string])}. */
    public String describe() {
        String listed = params.stream().map(ParamSpec::describe).collect(Collectors.joining(", "));
        if (variadicInts) {
            listed = listed + (listed.isEmpty() ? "" : ", ") + "dims: int...";
        }
        return name + "(" + listed + ")";
    }

    /**
     * The signature of a block: one parameter per block parameter, in order, with the block's
     * defaults. Untyped and tensor-typed parameters take tensors.
     *
     * @return empty when a parameter has a scalar type other than int, float or bool, or two
     *     parameters share a name (the checker reports both)
     */
    public static Optional<Signature> ofBlock(BlockDecl block) {
        List<Optional<ParamSpec>> specs = block.params().stream().map(Signature::paramSpec).toList();
        if (specs.stream().anyMatch(Optional::isEmpty)) {
            return Optional.empty();
        }
        if (block.params().stream().map(Param::name).distinct().count() != block.params().size()) {
            return Optional.empty();
        }
        return Optional.of(new Signature(block.name(), specs.stream().map(Optional::orElseThrow).toList(), false,
                "block declared at " + block.nameSpan()));
    }

    private static Optional<ParamSpec> paramSpec(Param param) {
        ParamDefault whenOmitted = param.defaultValue() == null
                ? new ParamDefault.Required()
                : new ParamDefault.Constant(param.defaultValue());
        return ArgKind.of(param.type()).map(kind -> new ParamSpec(param.name(), kind, whenOmitted));
    }
}
