package dev.nnc.compiler.train;

import dev.nnc.runtime.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Loads a data set in any of the supported layouts and converts it to the training step's batch inputs.
 *
 * <p>Layouts, chosen by what {@code path} is:
 * <ul>
 *   <li>a folder with {@code train-images-idx3-ubyte[.gz]} and {@code train-labels-idx1-ubyte[.gz]} (MNIST layout;
 *       {@link Part#TEST} reads the {@code t10k-*} pair);
 *   <li>a folder with one {@code <input>.npy} per batch input ({@code x.npy}, {@code y.npy});
 *   <li>an {@code .npz} archive with one array per batch input;
 *   <li>a {@code .csv} file: label first, features after.
 * </ul>
 * The IDX and CSV layouts hold one feature array and one label array, so they need a step with exactly one model
 * input and one target. Unsigned bytes become f32 in [0, 1] (÷255); floats are kept; each example is reshaped to the
 * input's per-example shape when the element counts agree. Labels of an i32 target are checked to lie in
 * {@code [0, classes)}. Stateless.
 */
public final class DataLoader {

    /** Which half of an MNIST-layout folder to read. */
    public enum Part {
        /** {@code train-images-idx3-ubyte[.gz]}, {@code train-labels-idx1-ubyte[.gz]}. */
        TRAIN("train"),
        /** {@code t10k-images-idx3-ubyte[.gz]}, {@code t10k-labels-idx1-ubyte[.gz]}. */
        TEST("t10k");

        private final String prefix;

        Part(String prefix) {
            this.prefix = prefix;
        }
    }

    /**
     * What the loaded data must look like.
     *
     * @param inputs  the training step's batch inputs in order: model inputs, then targets
     * @param targets the names among {@code inputs} that are targets (labels), not model inputs
     * @param classes the number of classes an i32 target's labels range over ({@code [0, classes)}); 0 to not check
     */
    public record Layout(List<TensorSpec> inputs, Set<String> targets, int classes) {
        public Layout {
            inputs = List.copyOf(inputs);
            targets = Set.copyOf(targets);
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("a training step needs at least one batch input");
            }
            if (classes < 0) {
                throw new IllegalArgumentException("classes must not be negative, got " + classes);
            }
            for (TensorSpec spec : inputs) {
                if (!spec.isBatched()) {
                    throw new IllegalArgumentException("training input " + spec + " has no batch dim B");
                }
            }
        }
    }

    private DataLoader() {
    }

    /** Whether {@code path} is an MNIST-layout folder that also holds the {@code t10k-*} test pair. */
    public static boolean hasTestPart(Path path) {
        return Files.isDirectory(path) && idxFile(path, Part.TEST, "images-idx3-ubyte") != null
                && idxFile(path, Part.TEST, "labels-idx1-ubyte") != null;
    }

    /** Loads {@code path} as a data set for {@code layout}; {@code part} matters only for MNIST-layout folders. */
    public static Dataset load(Path path, Layout layout, Part part) throws DataException {
        Objects.requireNonNull(layout, "layout");
        String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        if (Files.isDirectory(path)) {
            Path images = idxFile(path, part, "images-idx3-ubyte");
            Path labels = idxFile(path, part, "labels-idx1-ubyte");
            if (images != null || labels != null) {
                if (images == null || labels == null) {
                    throw new DataException(path + ": has " + (images != null ? images.getFileName() : labels.getFileName())
                            + " but not its " + (images == null ? "images" : "labels") + " file " + part.prefix + "-"
                            + (images == null ? "images-idx3-ubyte" : "labels-idx1-ubyte") + "[.gz]");
                }
                return pair(path, layout, IdxFormat.read(images), IdxFormat.read(labels));
            }
            List<Column> columns = new ArrayList<>();
            for (TensorSpec spec : layout.inputs()) {
                Path file = path.resolve(spec.name() + ".npy");
                if (!Files.isRegularFile(file)) {
                    throw new DataException(path + ": is neither an MNIST-layout folder (" + part.prefix + "-images-idx3-ubyte[.gz], "
                            + part.prefix + "-labels-idx1-ubyte[.gz]) nor has " + file.getFileName() + " for training input " + spec);
                }
                columns.add(toColumn(NpyFormat.read(file), spec, layout));
            }
            return dataset(path, columns);
        }
        if (!Files.isRegularFile(path)) {
            throw new DataException(path + ": no such file or folder");
        }
        if (name.endsWith(".npz")) {
            Map<String, RawArray> arrays = NpyFormat.readArchive(path);
            List<Column> columns = new ArrayList<>();
            for (TensorSpec spec : layout.inputs()) {
                RawArray raw = arrays.get(spec.name());
                if (raw == null) {
                    throw new DataException(path + ": has no array '" + spec.name() + "' for training input " + spec
                            + " (it has: " + String.join(", ", arrays.keySet()) + ")");
                }
                columns.add(toColumn(raw, spec, layout));
            }
            return dataset(path, columns);
        }
        if (name.endsWith(".csv")) {
            CsvFormat.Table table = CsvFormat.read(path);
            return pair(path, layout, table.features(), table.labels());
        }
        throw new DataException(path + ": unknown data format (expected an MNIST-layout folder, a folder of .npy files, an .npz or a .csv file)");
    }

    /** Converts a stored array to the column for {@code spec}: type conversion, per-example reshape, label range check. */
    static Column toColumn(RawArray raw, TensorSpec spec, Layout layout) throws DataException {
        long[] stored = raw.exampleShape();
        long[] wanted = spec.shapeAt(1);
        long[] exampleShape = Arrays.copyOfRange(wanted, 1, wanted.length);
        if (raw.shape().length == 0 || Column.exampleElements(stored) != spec.rowElements()) {
            throw new DataException(raw.origin() + ": each example has shape " + Column.shapeString(stored) + " ("
                    + (raw.shape().length == 0 ? "a scalar array, no example axis" : Column.exampleElements(stored) + " values")
                    + "), but training input " + spec + " takes examples of shape " + Column.shapeString(exampleShape)
                    + " (" + spec.rowElements() + " values)");
        }
        int classes = layout.targets().contains(spec.name()) ? layout.classes() : 0;
        return switch (spec.dtype()) {
            case F32 -> Column.floats(spec.name(), exampleShape, floats(raw));
            case I32 -> Column.ints(spec.name(), exampleShape, labels(raw, spec, classes));
        };
    }

    private static Dataset pair(Path path, Layout layout, RawArray features, RawArray labels) throws DataException {
        List<TensorSpec> inputs = layout.inputs();
        if (inputs.size() == 1 && inputs.getFirst().dtype() == dev.nnc.runtime.DType.F32) {
            // one float input (an autoencoder's images, a GAN's real images): the features alone, labels unused
            return dataset(path, List.of(toColumn(features, inputs.getFirst(), layout)));
        }
        if (inputs.size() != 2 || !layout.targets().contains(inputs.get(1).name())) {
            throw new DataException(path + ": this layout holds one feature array and one label array, but the training step takes "
                    + inputs + "; use an .npz or a folder of .npy files named after the inputs");
        }
        if (features.examples() != labels.examples()) {
            throw new DataException(path + ": " + features.origin() + " has " + features.examples() + " examples but "
                    + labels.origin() + " has " + labels.examples());
        }
        return dataset(path, List.of(toColumn(features, inputs.get(0), layout), toColumn(labels, inputs.get(1), layout)));
    }

    private static Dataset dataset(Path path, List<Column> columns) throws DataException {
        try {
            Dataset data = new Dataset(path.toString(), columns);
            if (data.size() == 0) {
                throw new DataException(path + ": holds no examples");
            }
            return data;
        } catch (IllegalArgumentException e) {
            throw new DataException(e.getMessage());
        }
    }

    /** The values as floats (uint8 scaled to [0, 1]); a NaN or infinity is refused, naming its example, since it would poison training. */
    private static float[] floats(RawArray raw) throws DataException {
        if (raw instanceof RawArray.Floats f) {
            int row = Math.max(1, Column.exampleElements(raw.exampleShape()));
            for (int i = 0; i < f.data().length; i++) {
                if (!Float.isFinite(f.data()[i])) {
                    throw new DataException(raw.origin() + ": example " + i / row + ", element " + i % row + " is " + f.data()[i]
                            + "; NaN and infinities are refused (fix or drop those examples)");
                }
            }
        }
        return switch (raw) {
            case RawArray.UnsignedBytes b -> {
                float[] out = new float[b.data().length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (b.data()[i] & 0xFF) / 255f;
                }
                yield out;
            }
            case RawArray.Floats f -> f.data().clone();
            case RawArray.Integers n -> {
                float[] out = new float[n.data().length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = n.data()[i];
                }
                yield out;
            }
        };
    }

    private static int[] labels(RawArray raw, TensorSpec spec, int classes) throws DataException {
        int row = Math.max(1, Column.exampleElements(raw.exampleShape()));
        int n = switch (raw) {
            case RawArray.UnsignedBytes b -> b.data().length;
            case RawArray.Floats f -> f.data().length;
            case RawArray.Integers i -> i.data().length;
        };
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double value = switch (raw) {
                case RawArray.UnsignedBytes b -> b.data()[i] & 0xFF;
                case RawArray.Floats f -> f.data()[i];
                case RawArray.Integers v -> v.data()[i];
            };
            if (value != Math.rint(value) || value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                throw new DataException(raw.origin() + ": row " + i / row + ": value " + value + " for i32 input " + spec.name()
                        + " is not an integer");
            }
            if (classes > 0 && (value < 0 || value >= classes)) {
                throw new DataException(raw.origin() + ": row " + i / row + ": label " + (long) value + " is outside [0, " + classes
                        + ") (the model has " + classes + " classes)");
            }
            out[i] = (int) value;
        }
        return out;
    }

    private static Path idxFile(Path dir, Part part, String stem) {
        for (String suffix : new String[] {"", ".gz"}) {
            Path file = dir.resolve(part.prefix + "-" + stem + suffix);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        return null;
    }
}
