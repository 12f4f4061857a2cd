package dev.nnc.dsl.ast;

import java.util.Objects;

/**
 * One item of a {@code train} section. {@code loss}, {@code optimizer}, {@code batch},
 * {@code epochs} and any later setting share the {@link Setting} form {@code key expr}; the
 * checker validates the value each known key requires.
 */
public sealed interface TrainItem {

    /** The whole item. */
    Span span();

    /** {@code target y: i32[B]}: a training input that the model does not take (labels). */
    record Target(String name, Span nameSpan, TypeRef type, Span span) implements TrainItem {
        public Target {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(nameSpan, "nameSpan");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(span, "span");
        }
    }

    /** {@code key expr}, e.g. {@code loss cross_entropy(logits, y)} or {@code batch 64}. */
    record Setting(String key, Span keySpan, Expr value, Span span) implements TrainItem {
        public Setting {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(keySpan, "keySpan");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(span, "span");
        }
    }

    /** {@code early_stop patience N on metric}: stop after N epochs without improving the metric. */
    record EarlyStop(long patience, Span patienceSpan, String metric, Span metricSpan, Span span)
            implements TrainItem {
        public EarlyStop {
            Objects.requireNonNull(patienceSpan, "patienceSpan");
            Objects.requireNonNull(metric, "metric");
            Objects.requireNonNull(metricSpan, "metricSpan");
            Objects.requireNonNull(span, "span");
        }
    }

    /** {@code key name: type}, e.g. {@code noise z: f32[B, 64]}: a named tensor the section declares. */
    record Declared(String key, Span keySpan, String name, Span nameSpan, TypeRef type, Span span) implements TrainItem {
        public Declared {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
        }
    }

    /** {@code key A, B, …}, e.g. {@code models Generator, Discriminator}. */
    record Listed(String key, Span keySpan, java.util.List<Ident> names, Span span) implements TrainItem {
        public Listed {
            Objects.requireNonNull(key, "key");
            names = java.util.List.copyOf(names);
        }
    }

    /** {@code key name { items }}, e.g. {@code step discriminator { loss …; optimizer …; updates Discriminator }}. */
    record Section(String key, Span keySpan, String name, Span nameSpan, java.util.List<TrainItem> items, Span span) implements TrainItem {
        public Section {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(name, "name");
            items = java.util.List.copyOf(items);
        }
    }

    /** {@code key name = expr}, e.g. {@code metric d_fake = sigmoid(Discriminator(Generator(z)))}. */
    record Named(String key, Span keySpan, String name, Span nameSpan, Expr value, Span span) implements TrainItem {
        public Named {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }
}
