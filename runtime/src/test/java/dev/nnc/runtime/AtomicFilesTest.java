package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write renames its file into place and removes what writers that died mid-write left beside it, and only that. */
class AtomicFilesTest {

    @Test
    void aWriteRemovesTheTemporaryFilesOfDeadWritersOnly(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("out.bin");
        long dead = deadPid();
        Path abandoned = Files.writeString(dir.resolve(".out.bin." + dead + ".123.tmp"), "half");
        Path live = Files.writeString(dir.resolve(".out.bin." + ProcessHandle.current().pid() + ".456.tmp"), "in progress");
        Path foreign = Files.writeString(dir.resolve(".out.bin.notes.tmp"), "someone else's");
        Path otherTarget = Files.writeString(dir.resolve(".other.bin." + dead + ".1.tmp"), "another file's");

        AtomicFiles.write(target, out -> out.write("done".getBytes(StandardCharsets.UTF_8)));

        assertEquals("done", Files.readString(target));
        assertFalse(Files.exists(abandoned), "left by a process that is gone");
        assertTrue(Files.exists(live), "a live writer keeps its file");
        assertTrue(Files.exists(foreign), "not named as ours");
        assertTrue(Files.exists(otherTarget), "another target's leftovers wait for a write of that target");
        try (var files = Files.list(dir)) {
            assertEquals(4, files.count(), "the target, the three kept, and no temporary file of this write");
        }
    }

    /** A process id no process has: above every running one. */
    private static long deadPid() {
        long max = ProcessHandle.allProcesses().mapToLong(ProcessHandle::pid).max().orElse(1);
        long pid = max + 1000;
        while (ProcessHandle.of(pid).isPresent()) pid++;
        return pid;
    }
}
