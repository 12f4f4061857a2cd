package dev.nnc.dsl;

import dev.nnc.dsl.ast.Arg;
import dev.nnc.dsl.ast.Call;
import dev.nnc.dsl.ast.Expr;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;

/**
 * The arguments of one call matched to the parameters of its signature, shared by the checker
 * (which reports calls that do not fit) and the compiler (which reads the values).
 *
 * @param arguments parameter name → value, in signature order, defaults included; an omitted
 *                  {@link ParamDefault.Omittable} parameter is absent
 * @param variadic  the extra positional int arguments of a variadic signature, in order
 */
public record CallBinding(Signature signature, SequencedMap<String, Expr> arguments, List<Expr> variadic) {

    public CallBinding {
        Objects.requireNonNull(signature, "signature");
        arguments = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(arguments));
        variadic = List.copyOf(variadic);
    }

    /**
     * Binds positional arguments in order, then named ones, then fills defaults.
     *
     * @throws IllegalArgumentException with the first problem when the call does not fit
     */
    public static CallBinding of(Call call, Signature signature) {
        Attempt attempt = attempt(call, signature);
        if (!attempt.problems().isEmpty()) {
            throw new IllegalArgumentException(attempt.problems().getFirst().message());
        }
        return attempt.binding();
    }

    /**
     * The result of binding a call that may not fit: the binding of what could be bound, the
     * arguments as written keyed by the parameter they fill, and a diagnostic per problem. Missing
     * arguments are reported only when nothing else is wrong with the call, since a misplaced or
     * misnamed argument is usually the one that seems missing.
     */
    record Attempt(CallBinding binding, Map<String, Arg> written, List<Diagnostic> problems) {
    }

    static Attempt attempt(Call call, Signature signature) {
        List<Diagnostic> problems = new ArrayList<>();
        Map<String, Arg> written = new LinkedHashMap<>();
        List<Expr> variadic = new ArrayList<>();
        String hint = signature.describe();
        int positional = 0;
        Arg firstExtra = null;
        boolean seenNamed = false;
        for (Arg arg : call.args()) {
            if (arg.isPositional()) {
                if (seenNamed) {
                    problems.add(Diagnostic.error(arg.span(), "positional argument after a named argument",
                            "put positional arguments first: " + hint));
                } else if (positional < signature.params().size()) {
                    written.put(signature.params().get(positional).name(), arg);
                } else if (signature.variadicInts()) {
                    variadic.add(arg.value());
                } else if (firstExtra == null) {
                    firstExtra = arg;
                }
                positional++;
            } else {
                seenNamed = true;
                if (signature.param(arg.name()).isEmpty()) {
                    problems.add(Diagnostic.error(arg.span(),
                            "`" + signature.name() + "` has no parameter `" + arg.name() + "`", hint));
                } else if (written.containsKey(arg.name())) {
                    problems.add(Diagnostic.error(arg.span(),
                            "argument `" + arg.name() + "` is given twice", hint));
                } else {
                    written.put(arg.name(), arg);
                }
            }
        }
        if (firstExtra != null) {
            int max = signature.params().size();
            problems.add(Diagnostic.error(firstExtra.span(),
                    "`" + signature.name() + "` takes at most " + max + (max == 1 ? " argument" : " arguments")
                            + " but " + call.args().size() + " were given"
                            + (call.piped() ? " (the piped input is the first)" : ""),
                    hint));
        }
        SequencedMap<String, Expr> arguments = new LinkedHashMap<>();
        List<Diagnostic> missing = new ArrayList<>();
        for (ParamSpec param : signature.params()) {
            Arg arg = written.get(param.name());
            if (arg != null) {
                arguments.put(param.name(), arg.value());
                continue;
            }
            switch (param.whenOmitted()) {
                case ParamDefault.Required required -> missing.add(Diagnostic.error(call.calleeSpan(),
                        "missing argument `" + param.name() + "` in call to `" + signature.name() + "`", hint));
                case ParamDefault.Omittable omittable -> {
                }
                case ParamDefault.Constant constant -> arguments.put(param.name(), constant.value());
                case ParamDefault.SameAs sameAs -> {
                    Expr other = arguments.get(sameAs.param());
                    if (other != null) {
                        arguments.put(param.name(), other);
                    }
                }
            }
        }
        if (problems.isEmpty()) {
            problems.addAll(missing);
        }
        return new Attempt(new CallBinding(signature, arguments, variadic), written, problems);
    }
}
