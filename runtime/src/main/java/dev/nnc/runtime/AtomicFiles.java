package dev.nnc.runtime;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file aside in the same directory, forces it to the device and renames it into place, so readers never see a
 * half-written file, whether the writer fails, is killed or the machine loses power. The temporary file is
 * {@code .NAME.PID.RANDOM.tmp}; a write first deletes the ones of {@code NAME} that processes no longer running left
 * (a writer killed mid-write), so nothing accumulates and no live writer loses its file.
 */
public final class AtomicFiles {

    /** Produces a file's content on a stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /** Writes {@code content} to a temporary file next to {@code target}, syncs it, then moves it over {@code target} atomically. */
    public static void write(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        removeAbandoned(absolute);
        Path tmp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + "." + ProcessHandle.current().pid() + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Deletes {@code .NAME.PID.*.tmp} beside {@code target} whose process is gone; best effort. */
    private static void removeAbandoned(Path target) {
        String prefix = "." + target.getFileName() + ".";
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(), path -> {
            String name = path.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".tmp");
        })) {
            for (Path sibling : siblings) {
                String rest = sibling.getFileName().toString().substring(prefix.length());
                int dot = rest.indexOf('.');
                long pid;
                try {
                    pid = Long.parseLong(dot < 0 ? "" : rest.substring(0, dot));
                } catch (NumberFormatException e) {
                    continue;    // not one of ours
                }
                if (ProcessHandle.of(pid).isEmpty()) Files.deleteIfExists(sibling);
            }
        } catch (IOException | SecurityException e) {
            // leftovers are harmless; the write itself must not fail for them
        }
    }
}
