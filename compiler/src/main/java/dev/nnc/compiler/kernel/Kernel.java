package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Dim;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * One step of a kernel program: a generated loop nest, or a call into the library of hand-written kernels. Every
 * kernel names the graph ops it computes (for {@code --emit kernels} and for tests) and lists its operands with
 * what it does to each ({@link #uses}); analyses and emitters read that list rather than knowing each kind.
 */
public sealed interface Kernel {

    /** The IR values this kernel computes, for people reading the program. */
    List<String> computes();

    /** Every operand with how this kernel uses it; a buffer read and written appears once for each. */
    List<Use> uses();

    /** This kernel with every operand (read or written) passed through {@code rename}. */
    Kernel withOperands(UnaryOperator<Operand> rename);

    /** The buffers this kernel reads. */
    default Set<Buffer> reads() {
        return buffers(Use.Access.READ, Use.Access.READ);
    }

    /** The buffers this kernel writes, scratch included. */
    default Set<Buffer> writes() {
        return buffers(Use.Access.WRITE, Use.Access.SCRATCH);
    }

    private Set<Buffer> buffers(Use.Access one, Use.Access other) {
        Set<Buffer> found = new LinkedHashSet<>();
        for (Use u : uses()) if (u.access() == one || u.access() == other) found.add(u.operand().buffer());
        return found;
    }

    /**
     * For every point of the index space {@code dims}, stores {@code value} at
     * {@code out[offset + Σ index_d · outStrides_d]}.
     */
    record Loop(List<String> computes, List<Dim> dims, Operand out, long[] outStrides, LoopExpr value) implements Kernel {
        public Loop {
            computes = List.copyOf(computes);
            dims = List.copyOf(dims);
            outStrides = outStrides.clone();
            if (outStrides.length != dims.size()) throw new IllegalArgumentException("one output stride per loop dimension");
            for (int i = 1; i < dims.size(); i++) {
                if (dims.get(i).batch()) throw new IllegalArgumentException("only the outermost loop may range over the batch");
            }
        }

        @Override
        public long[] outStrides() {
            return outStrides.clone();
        }

        /** Every load of the expression (in order, each once), then the store. */
        @Override
        public List<Use> uses() {
            List<Use> uses = new ArrayList<>();
            for (Operand o : LoopExprs.loadedOperands(value)) uses.add(Use.read(o));
            uses.add(Use.write(out));
            return uses;
        }

        @Override
        public Loop withOperands(UnaryOperator<Operand> rename) {
            return new Loop(computes, dims, rename.apply(out), outStrides, LoopExprs.renameLoads(value, rename));
        }

        @Override
        public String toString() {
            return "loop " + dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]")) + " "
                    + out + Arrays.toString(outStrides) + " = " + value;
        }
    }

    /**
     * A library call; a non-null {@code epilogue} is an elementwise loop run right after it, in place over the call's
     * {@linkplain LibraryCall#epilogueTarget result} (bias, activation: fused consumers).
     */
    record Call(List<String> computes, LibraryCall call, Loop epilogue) implements Kernel {
        public Call {
            computes = List.copyOf(computes);
            if (epilogue != null) {
                LibraryCall.EpilogueTarget target = call.epilogueTarget();
                if (target == null || !epilogue.out().equals(target.out()) || !epilogue.dims().equals(target.dims())) {
                    throw new IllegalArgumentException("epilogue " + epilogue + " does not run over the result of " + call);
                }
            }
        }

        /** A call with no epilogue. */
        public Call(List<String> computes, LibraryCall call) {
            this(computes, call, null);
        }

        public Call withEpilogue(List<String> computes, Loop epilogue) {
            return new Call(computes, call, epilogue);
        }

        public Call withCall(LibraryCall call) {
            return new Call(computes, call, epilogue);
        }

        /** The call's operands in argument order, then the epilogue's. */
        @Override
        public List<Use> uses() {
            if (epilogue == null) return call.uses();
            List<Use> uses = new ArrayList<>(call.uses());
            uses.addAll(epilogue.uses());
            return uses;
        }

        @Override
        public Call withOperands(UnaryOperator<Operand> rename) {
            return new Call(computes, call.withOperands(rename), epilogue == null ? null : epilogue.withOperands(rename));
        }

        @Override
        public String toString() {
            return call + (epilogue == null ? "" : " then " + epilogue);
        }
    }
}
