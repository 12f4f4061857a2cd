package dev.nnc.compiler.cli;

import dev.nnc.compiler.driver.Compiler;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code nnc} command line. Exit codes: 0 success, 1 user error (bad source, bad input, damaged artifact),
 * 2 internal error (a bug in nnc, reported briefly with what to send).
 */
@Command(name = "nnc", mixinStandardHelpOptions = true, version = "nnc " + Compiler.VERSION,
        description = "Ahead-of-time compiler and runtime for neural networks on the JVM.",
        subcommands = {CompileCommand.class, RunCommand.class, InspectCommand.class, TrainCommand.class, BenchCommand.class, DevicesCommand.class, KeygenCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static final int OK = 0;
    public static final int USER_ERROR = 1;
    public static final int INTERNAL_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: compile, run or inspect");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit code (used by tests, too). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("nnc: " + e.getMessage());
            if (!(e.getCommandLine().getCommand() instanceof Main)) {
                err.println("run `nnc " + e.getCommandLine().getCommandName() + " --help` for usage");
            }
            err.flush();
            return USER_ERROR;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof UserError user) {
                err.print(user.getMessage().endsWith("\n") ? user.getMessage() : user.getMessage() + "\n");
                err.flush();
                return USER_ERROR;
            }
            err.println("nnc: internal error: " + e);
            StackTraceElement[] trace = e.getStackTrace();
            for (int i = 0; i < Math.min(8, trace.length); i++) err.println("    at " + trace[i]);
            err.println("This is a bug in nnc " + Compiler.VERSION + ". Please report it with the command you ran and the input files.");
            err.flush();
            return INTERNAL_ERROR;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
