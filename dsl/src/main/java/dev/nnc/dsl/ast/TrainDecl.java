package dev.nnc.dsl.ast;

import java.util.List;
import java.util.Objects;

/** {@code train Model { items }}: how a model is trained. */
public record TrainDecl(String model, Span modelSpan, List<TrainItem> items, Span span) implements Decl {

    public TrainDecl {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(modelSpan, "modelSpan");
        items = List.copyOf(items);
        Objects.requireNonNull(span, "span");
    }

    @Override
    public String name() {
        return model;
    }

    @Override
    public Span nameSpan() {
        return modelSpan;
    }
}
