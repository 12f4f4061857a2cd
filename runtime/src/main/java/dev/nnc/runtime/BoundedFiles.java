package dev.nnc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reading a whole file or stream into memory with a size bound, so that {@code /dev/zero}, a FIFO, a huge file or a
 * decompression bomb is a {@link MalformedFileException} that says what it is, never an {@code OutOfMemoryError}.
 */
public final class BoundedFiles {

    /** The most a byte array can hold on HotSpot. */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private BoundedFiles() {}

    /** The bytes of {@code file}, a regular file of at most {@code limit} bytes. */
    public static byte[] read(Path file, long limit) throws IOException {
        if (Files.isDirectory(file)) throw new MalformedFileException(file + " is a directory, not a file");
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new MalformedFileException(file + " is not a regular file (a device, FIFO or socket has no size to check); copy the data into a file");
        }
        long size = Files.size(file);
        if (size > Math.min(limit, MAX_BYTES)) {
            throw new MalformedFileException(file + " is " + size + " bytes, more than the " + Math.min(limit, MAX_BYTES) + " this reader accepts");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, limit, file.toString());
        }
    }

    /** Everything left in {@code in}, at most {@code limit} bytes; {@code what} names the source in the error. */
    public static byte[] read(InputStream in, long limit, String what) throws IOException {
        int cap = (int) Math.min(limit, MAX_BYTES);
        byte[] bytes = in.readNBytes(cap);
        if (bytes.length == cap && in.read() >= 0) {
            throw new MalformedFileException(what + " holds more than " + cap + " bytes, the most this reader accepts");
        }
        return bytes;
    }
}
