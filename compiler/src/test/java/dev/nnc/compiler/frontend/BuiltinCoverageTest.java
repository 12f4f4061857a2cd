package dev.nnc.compiler.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nnc.compiler.TestModels;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.dsl.Builtin;
import dev.nnc.dsl.ast.SourceFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every built-in the checker accepts is lowered by a model that compiles: each {@link Builtin} is called by at least
 * one example or test model, and all of those compile at {@code -O0} and {@code -O2}. (That each has a lowering at
 * all is the compiler's exhaustive switch over {@link Builtin}; that the catalog and the enum agree is checked when
 * the catalog loads.)
 */
class BuiltinCoverageTest {

    @Test
    void everyBuiltinIsCalledByAModelThatCompiles() throws Exception {
        Path root = TestModels.repoRoot();
        List<Path> models = new ArrayList<>();
        for (Path dir : List.of(root.resolve("examples"), root.resolve("compiler/src/test/resources/models"))) {
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(p -> p.toString().endsWith(".nn")).sorted().forEach(models::add);
            }
        }
        Set<Builtin> called = EnumSet.noneOf(Builtin.class);
        for (Path model : models) {
            String text = Files.readString(model).replaceAll("#[^\n]*", "");
            for (Builtin b : Builtin.values()) {
                if (Pattern.compile("(\\|>\\s*" + b.dslName() + "\\b)|(\\b" + b.dslName() + "\\s*\\()").matcher(text).find()) called.add(b);
            }
            for (OptLevel level : OptLevel.values()) {
                Compiler.compile(new SourceFile(model.toString(), Files.readString(model)), CompileOptions.defaults().withOpt(level));
            }
        }
        assertEquals(EnumSet.allOf(Builtin.class), called, "built-ins no model calls: " + EnumSet.complementOf(EnumSet.copyOf(called)));
    }
}
