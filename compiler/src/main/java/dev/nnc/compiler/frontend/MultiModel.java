package dev.nnc.compiler.frontend;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Param;
import dev.nnc.dsl.ast.Decl;
import dev.nnc.dsl.ast.Ident;
import dev.nnc.dsl.ast.ModelDecl;
import dev.nnc.dsl.ast.Program;
import dev.nnc.dsl.ast.TrainDecl;
import dev.nnc.dsl.ast.TrainItem;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Several models trained together in one section (a GAN): which section lists a model, the models it makes callable,
 * the shared parameter naming, and the two graphs such a model compiles to — the training step of the whole section
 * and one model's inference graph over every model's parameters.
 */
final class MultiModel {

    private MultiModel() {}

    /**
     * A model trained together with others (a GAN's generator): its inference graph declares every model's
     * parameters, prefixed by model name and in the training graph's order, so one weights file and one state
     * layout serve both entry points.
     */
    static Frontend.Result lowerTogether(Program program, ModelDecl model, TrainDecl together, int maxBatchOverride) {
        Frontend.TrainingResult training = Frontend.lowerTraining(program, model.name(), maxBatchOverride);
        if (training.model().isEmpty()) return new Frontend.Result(Optional.empty(), training.diagnostics());
        Graph trained = training.model().get().graph();
        Frontend f = new Frontend(program, false);
        collectModels(f, together);
        GraphBuilder graph = f.startGraph(model.name(), trained.maxBatch());
        for (Param p : trained.weights()) f.advance(p.name(), graph.param(p.name(), p.value().type(), p.init(), p.role()));
        f.addOutputs(model, f.lowerBody(model, new Frontend.Scope(modelPrefix(model.name()))));
        return f.result();
    }

    /** The section that trains {@code model} together with other models, if any. */
    static TrainDecl multiModelSection(Program program, String model) {
        for (Decl d : program.decls()) {
            if (d instanceof TrainDecl t && listedModels(t).contains(model)) return t;
        }
        return null;
    }

    static List<String> listedModels(TrainDecl t) {
        return t.items().stream().filter(i -> i instanceof TrainItem.Listed l && l.key().equals("models"))
                .flatMap(i -> ((TrainItem.Listed) i).names().stream()).map(Ident::name).toList();
    }

    private static void collectModels(Frontend f, TrainDecl together) {
        for (String name : listedModels(together)) {
            f.program().decls().stream().filter(d -> d instanceof ModelDecl m && m.name().equals(name)).findFirst()
                    .ifPresent(d -> f.models().put(name, (ModelDecl) d));
        }
    }

    /** The prefix of a model's parameters when several models are trained together: {@code generator.}. */
    static String modelPrefix(String model) {
        return model.toLowerCase(Locale.ROOT) + ".";
    }

    /** Lowers a section that trains several models in alternating steps; models are called like functions in it. */
    static Frontend.TrainingResult lowerTrainingTogether(Frontend f, TrainDecl together, int maxBatchOverride) {
        collectModels(f, together);
        ModelDecl first = f.models().values().iterator().next();
        f.startGraph(together.model(), maxBatchOverride > 0 ? maxBatchOverride : f.declaredMaxBatch(first));
        TrainSection.Lowered lowered = f.lowerSection(together, new Frontend.Scope(""));
        Frontend.Result r = f.result();
        if (r.graph().isEmpty() || lowered == null) return new Frontend.TrainingResult(Optional.empty(), r.diagnostics());
        return new Frontend.TrainingResult(Optional.of(new Frontend.TrainingModel(r.graph().get(), lowered.loss(), lowered.optimizer(),
                lowered.settings(), true)), List.of());
    }
}
