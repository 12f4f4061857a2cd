package dev.nnc.compiler.train;

import dev.nnc.runtime.BoundedFiles;
import dev.nnc.runtime.MalformedFileException;
import dev.nnc.runtime.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads NumPy {@code .npy} files and {@code .npz} archives of them as training data.
 *
 * <p>Files are parsed by the runtime's {@link Npy#parseStored} (every common dtype, either byte order, versions 1.0 to
 * 3.0, C order); this keeps what data sets need: {@code u1} pixels as bytes (scaled to [0, 1] later), integers exactly
 * (labels), floats as f32. {@code .npz} may be stored or deflated ({@code np.savez_compressed}). Stateless.
 */
public final class NpyFormat {

    private NpyFormat() {
    }

    /** Reads one {@code .npy} file. */
    public static RawArray read(Path file) throws DataException {
        try {
            return parse(file.toString(), BoundedFiles.read(file, BoundedFiles.MAX_BYTES));
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")");
        }
    }

    /** Reads every array of an {@code .npz} archive, keyed by name without {@code .npy}, in archive order. */
    public static Map<String, RawArray> readArchive(Path file) throws DataException {
        Map<String, RawArray> arrays = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry entry : zip.stream().toList()) {
                String name = entry.getName();
                if (entry.isDirectory() || !name.endsWith(".npy")) {
                    continue;
                }
                String key = name.substring(0, name.length() - 4);
                byte[] bytes;
                try (InputStream in = zip.getInputStream(entry)) {
                    bytes = BoundedFiles.read(in, BoundedFiles.MAX_BYTES, file + ":" + name);
                }
                arrays.put(key, parse(file + ":" + key, bytes));
            }
        } catch (ZipException e) {
            throw new DataException(file + ": not a valid .npz (zip) archive (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")");
        }
        return arrays;
    }

    /** Parses the bytes of an {@code .npy} file (the runtime's parser); {@code origin} names it in errors. */
    static RawArray parse(String origin, byte[] file) throws DataException {
        Npy.Stored stored;
        try {
            stored = Npy.parseStored(file);
        } catch (MalformedFileException e) {
            throw new DataException(origin + ": " + e.getMessage());
        }
        long[] shape = stored.shape();
        if (stored.kind() == 'u' && stored.itemSize() == 1) return new RawArray.UnsignedBytes(origin, shape, stored.bytes());
        if (stored.kind() == 'f') return new RawArray.Floats(origin, shape, stored.floats());
        return new RawArray.Integers(origin, shape, stored.integers());
    }
}
