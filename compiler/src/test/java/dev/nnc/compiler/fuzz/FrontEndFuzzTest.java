package dev.nnc.compiler.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import dev.nnc.compiler.driver.CompileException;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.ir.IrParser;
import dev.nnc.compiler.ir.TypeError;
import dev.nnc.compiler.train.CsvFormat;
import dev.nnc.compiler.train.DataException;
import dev.nnc.compiler.train.IdxFormat;
import dev.nnc.dsl.ast.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz targets for the compiler's inputs (Jazzer): a {@code .nn} source through parser, checker, frontend and
 * verifier must compile or fail with diagnostics ({@link CompileException}); IR text must parse or be refused with
 * the line ({@link IllegalArgumentException} or {@link TypeError}); CSV and IDX data must load or be refused ({@link DataException}). Any
 * other exception is a finding. Normal test runs replay the seeds under {@code FrontEndFuzzTestInputs/};
 * {@code JAZZER_FUZZ=1 mvn -pl compiler surefire:test -Dtest='FrontEndFuzzTest#dsl' -Djazzer.instrument='dev.nnc.**'} fuzzes one
 * target (README: Fuzzing).
 */
class FrontEndFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void dsl(@NotNull String source) {
        if (source == null) return;
        try {
            Compiler.graph(new SourceFile("fuzz.nn", source), CompileOptions.defaults());
        } catch (CompileException expected) {
            // diagnostics with file:line:col
        }
    }

    @FuzzTest(maxDuration = "60s")
    void ir(@NotNull String text) {
        if (text == null) return;
        try {
            IrParser.parse(text);
        } catch (IllegalArgumentException | TypeError expected) {
            // names the line
        }
    }

    @FuzzTest(maxDuration = "60s")
    void csv(@NotNull byte[] data) throws IOException {
        if (data == null) return;
        Path file = Files.createTempFile("fuzz", ".csv");
        try {
            Files.write(file, data);
            CsvFormat.read(file);
        } catch (DataException expected) {
            // names file:line:column
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void idx(@NotNull byte[] data) throws IOException {
        if (data == null) return;
        Path file = Files.createTempFile("fuzz", "-idx1-ubyte");
        try {
            Files.write(file, data);
            IdxFormat.read(file);
        } catch (DataException expected) {
            // names the file
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
