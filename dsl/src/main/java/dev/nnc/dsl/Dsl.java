package dev.nnc.dsl;

import dev.nnc.dsl.ast.Program;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.dsl.ast.Span;
import dev.nnc.dsl.grammar.NnLexer;
import dev.nnc.dsl.grammar.NnParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonToken;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.ListTokenSource;
import org.antlr.v4.runtime.Token;

/**
 * The entry point of the {@code .nn} front end: source text in, AST and diagnostics out.
 * Never throws for any input text; every problem is a {@link Diagnostic}. Stateless and
 * thread-safe.
 */
public final class Dsl {

    private Dsl() {
    }

    /**
     * Parses a file. Lexical and syntax errors are all reported (ANTLR recovers and continues);
     * when there is any, the result has no program.
     */
    public static ParseResult parse(SourceFile source) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        try {
            List<Token> tokens = lex(source, diagnostics);
            NnParser parser = new NnParser(new CommonTokenStream(new ListTokenSource(tokens, source.path())));
            parser.removeErrorListeners();
            Set<Integer> linesWithLexicalErrors = diagnostics.stream().map(d -> d.span().line()).collect(Collectors.toSet());
            parser.setErrorHandler(new SyntaxErrors(diagnostics::add, linesWithLexicalErrors));
            NnParser.ProgramContext tree = parser.program();
            if (!diagnostics.isEmpty()) {
                return new ParseResult(null, diagnostics);
            }
            Program program = new AstBuilder(diagnostics::add).program(source, tree);
            return new ParseResult(diagnostics.isEmpty() ? program : null, diagnostics);
        } catch (StackOverflowError tooDeep) {
            return tooDeeplyNested(diagnostics);
        }
    }

    /** Parses a file and, if it has no syntax errors, runs the {@link Checker} on it. */
    public static ParseResult parseAndCheck(SourceFile source) {
        ParseResult parsed = parse(source);
        if (parsed.program() == null) {
            return parsed;
        }
        try {
            List<Diagnostic> diagnostics = new ArrayList<>(parsed.diagnostics());
            diagnostics.addAll(Checker.check(parsed.program()));
            return new ParseResult(parsed.program(), diagnostics);
        } catch (StackOverflowError tooDeep) {
            return tooDeeplyNested(new ArrayList<>(parsed.diagnostics()));
        }
    }

    private static ParseResult tooDeeplyNested(List<Diagnostic> diagnostics) {
        diagnostics.add(Diagnostic.error(new Span(1, 1, 1, 2), "the file is nested too deeply to compile",
                "split deeply nested expressions into several statements"));
        return new ParseResult(null, diagnostics);
    }

    /**
     * The tokens the parser sees. An unterminated string is reported and passed on as a string so
     * the parser does not report it again; any other unknown character is reported and dropped.
     */
    private static List<Token> lex(SourceFile source, List<Diagnostic> diagnostics) {
        NnLexer lexer = new NnLexer(CharStreams.fromString(source.text(), source.path()));
        lexer.removeErrorListeners();
        List<Token> tokens = new ArrayList<>();
        for (Token token : lexer.getAllTokens()) {
            switch (token.getType()) {
                case NnLexer.UNTERMINATED_STRING -> {
                    diagnostics.add(Diagnostic.error(SyntaxErrors.spanOf(token), "unterminated string",
                            "close the string with `\"` before the end of the line"));
                    CommonToken asString = new CommonToken(token);
                    asString.setType(NnLexer.STRING);
                    asString.setText(token.getText() + "\"");
                    tokens.add(asString);
                }
                case NnLexer.BAD_CHAR -> diagnostics.add(Diagnostic.error(SyntaxErrors.spanOf(token),
                        "unexpected character `" + token.getText() + "`"));
                default -> tokens.add(token);
            }
        }
        return tokens;
    }
}
