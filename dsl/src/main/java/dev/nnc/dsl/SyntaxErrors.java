package dev.nnc.dsl;

import dev.nnc.dsl.ast.Span;
import dev.nnc.dsl.grammar.NnParser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.FailedPredicateException;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * ANTLR's error recovery with messages written for people ("expected `)` but found `{`"), so
 * every syntax error in a file is reported, not just the first. To keep one mistake from
 * producing a cascade, at most one syntax error is reported per line. One instance per parse.
 */
final class SyntaxErrors extends DefaultErrorStrategy {

    /** Expected-token sets larger than this are not listed; the message just names what was found. */
    private static final int MAX_LISTED = 4;

    private final Consumer<Diagnostic> sink;
    private final Set<Integer> linesWithErrors = new HashSet<>();

    /**
     * @param sink           receives the syntax errors
     * @param linesWithLexicalErrors lines already reported by the lexer; parser errors there
     *                       are follow-ups and are not reported
     */
    SyntaxErrors(Consumer<Diagnostic> sink, Set<Integer> linesWithLexicalErrors) {
        this.sink = sink;
        this.linesWithErrors.addAll(linesWithLexicalErrors);
    }

    /** The span of one token; the end-of-file token gets a one-column span where the file ends. */
    static Span spanOf(Token token) {
        int line = Math.max(1, token.getLine());
        int col = Math.max(0, token.getCharPositionInLine()) + 1;
        int width = token.getType() == Token.EOF || token.getText() == null
                ? 1 : Math.max(1, token.getText().length());
        return new Span(line, col, line, col + width);
    }

    @Override
    protected void reportNoViableAlternative(Parser parser, NoViableAltException e) {
        report(parser, e.getOffendingToken(), e.getExpectedTokens());
    }

    @Override
    protected void reportInputMismatch(Parser parser, InputMismatchException e) {
        report(parser, e.getOffendingToken(), e.getExpectedTokens());
    }

    @Override
    protected void reportFailedPredicate(Parser parser, FailedPredicateException e) {
        report(parser, e.getOffendingToken(), new IntervalSet());
    }

    @Override
    protected void reportUnwantedToken(Parser parser) {
        if (!inErrorRecoveryMode(parser)) {
            beginErrorCondition(parser);
            report(parser, parser.getCurrentToken(), getExpectedTokens(parser));
        }
    }

    @Override
    protected void reportMissingToken(Parser parser) {
        if (!inErrorRecoveryMode(parser)) {
            beginErrorCondition(parser);
            report(parser, parser.getCurrentToken(), getExpectedTokens(parser));
        }
    }

    private void report(Parser parser, Token found, IntervalSet expected) {
        String expectation = describeExpected(expected);
        String hint = hint(found, expected);
        Span at = spanOf(found);
        String message;
        if (expectation == null) {
            message = "unexpected " + describeFound(found);
        } else {
            message = "expected " + expectation + " but found " + describeFound(found);
            Token previous = found.getTokenIndex() > 0 ? parser.getTokenStream().get(found.getTokenIndex() - 1) : null;
            boolean foundIsTheMistake = hint != null && !startsDeclaration(found);
            if (!foundIsTheMistake && previous != null && previous.getLine() < found.getLine()) {
                Span end = spanOf(previous);
                at = new Span(end.endLine(), end.endCol(), end.endLine(), end.endCol() + 1);
            }
        }
        if (linesWithErrors.add(at.line())) {
            sink.accept(Diagnostic.error(at, message, hint));
        }
    }

    private static String describeFound(Token token) {
        return token.getType() == Token.EOF ? "end of file" : "`" + token.getText() + "`";
    }

    /** A hint for two common slips: a reserved word used as a name, and a block left open before the next declaration. */
    private static String hint(Token found, IntervalSet expected) {
        if (startsDeclaration(found) && expected.contains(NnParser.RBRACE)) {
            return "is a `}` missing before this `" + found.getText() + "`?";
        }
        String literal = NnParser.VOCABULARY.getLiteralName(found.getType());
        boolean keyword = literal != null && Character.isLetter(literal.charAt(1));
        if (keyword && !startsDeclaration(found) && expected.contains(NnParser.ID)) {
            return "`" + found.getText() + "` is a reserved word; choose another name";
        }
        return null;
    }

    private static boolean startsDeclaration(Token token) {
        int type = token.getType();
        return type == NnParser.MODEL || type == NnParser.BLOCK || type == NnParser.TRAIN;
    }

    /** "`)`", "`)` or `,`", "an expression", "a statement or `}`"; null when empty or too large to list. */
    private static String describeExpected(IntervalSet expected) {
        if (expected == null || expected.isNil()) {
            return null;
        }
        List<Integer> types = expected.toList();
        List<String> names = new ArrayList<>();
        boolean expression = types.contains(NnParser.ID) && types.contains(NnParser.INT)
                && types.contains(NnParser.FLOAT) && types.contains(NnParser.LPAREN);
        boolean statement = types.contains(NnParser.ID) && types.contains(NnParser.RETURN);
        if (expression) {
            names.add("an expression");
        }
        if (statement) {
            names.add("a statement");
        }
        for (int type : types) {
            boolean covered = (expression && isExpressionStart(type))
                    || (statement && (type == NnParser.ID || type == NnParser.RETURN || type == NnParser.SEMI));
            if (!covered) {
                names.add(describeType(type));
            }
        }
        if (names.size() > MAX_LISTED) {
            return null;
        }
        if (names.size() == 1) {
            return names.getFirst();
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.getLast();
    }

    private static boolean isExpressionStart(int type) {
        return type == NnParser.ID || type == NnParser.INT || type == NnParser.FLOAT || type == NnParser.STRING
                || type == NnParser.TRUE || type == NnParser.FALSE || type == NnParser.LPAREN
                || type == NnParser.MINUS;
    }

    private static String describeType(int type) {
        return switch (type) {
            case Token.EOF -> "end of file";
            case NnParser.ID -> "a name";
            case NnParser.INT -> "an integer";
            case NnParser.FLOAT -> "a number";
            case NnParser.STRING -> "a string";
            default -> {
                String literal = NnParser.VOCABULARY.getLiteralName(type);
                yield literal == null
                        ? NnParser.VOCABULARY.getDisplayName(type)
                        : "`" + literal.substring(1, literal.length() - 1) + "`";
            }
        };
    }
}
