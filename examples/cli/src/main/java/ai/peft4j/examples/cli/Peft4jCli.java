package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code peft4j} command line. Each subcommand is its own class; add one by listing it in
 * {@code subcommands} below.
 *
 * <p>Exit codes: 0 success; 2 bad input (usage errors and every {@link Peft4jException}: missing
 * directory, bad config, corrupt weights, unknown engine, prompt too long, ...), printed as one
 * {@code error: ...} line; 1 an unexpected internal error. {@code --verbose} adds the stack trace.
 *
 * <pre>{@code
 * int exit = Peft4jCli.execute(new String[] {"info", "--model", "models/tiny-gpt2"},
 *         new PrintWriter(System.out, true), new PrintWriter(System.err, true));
 * }</pre>
 */
@Command(name = "peft4j", mixinStandardHelpOptions = true, versionProvider = Peft4jCli.Version.class,
        description = "Parameter-efficient fine-tuning and inference of GPT-style decoders (Hugging Face checkpoints).",
        subcommands = {
            GenerateCommand.class,
            ScoreCommand.class,
            InfoCommand.class,
            MergeCommand.class,
            BenchCommand.class,
            TrainCommand.class,
            PretrainCommand.class,
            SummarizeCommand.class,
            RougeCommand.class,
            DemoCommand.class,
            ExportOnnxCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class Peft4jCli implements Callable<Integer> {
    /** Success. */
    public static final int EXIT_OK = 0;
    /** An unexpected error: a bug, or a failure peft4j did not anticipate. */
    public static final int EXIT_INTERNAL = 1;
    /** Bad input: usage errors and every {@link Peft4jException}. */
    public static final int EXIT_BAD_INPUT = 2;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        // Explicit UTF-8: Korean text must survive a POSIX default locale.
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = execute(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the command line in-process and returns its exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return commandLine(out, err).execute(args);
    }

    /** The configured command line, for callers that want to run it themselves. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        Peft4jCli root = new Peft4jCli();
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> handle(ex, isVerbose(parseResult), commandLine.getErr()));
        cl.setParameterExceptionHandler(Peft4jCli::handleUsageError);
        return cl;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_BAD_INPUT;
    }

    private static int handleUsageError(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        String where = cl.getCommandSpec().qualifiedName();
        String message = oneLine(ex.getMessage()).replaceFirst("^Error: ", "");
        cl.getErr().println("error: " + message + " (see '" + where + " --help')");
        Throwable cause = ex.getCause();
        if (cause != null && isVerbose(args)) {
            cause.printStackTrace(cl.getErr());
        }
        cl.getErr().flush();
        return EXIT_BAD_INPUT;
    }

    private static boolean isVerbose(ParseResult parseResult) {
        // --verbose is inherited, so it may have been matched on any level of the command.
        for (ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            if (pr.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isVerbose(String[] args) {
        for (String a : args) {
            if (a.equals("--verbose")) {
                return true;
            }
        }
        return false;
    }

    static int handle(Exception ex, boolean verbose, PrintWriter err) {
        Throwable known = badInput(ex);
        int code;
        if (known != null) {
            err.println("error: " + oneLine(known.getMessage()));
            code = EXIT_BAD_INPUT;
        } else {
            err.println("error: internal error: " + ex.getClass().getSimpleName() + ": " + oneLine(String.valueOf(ex.getMessage()))
                    + (verbose ? "" : " (rerun with --verbose for the stack trace)"));
            code = EXIT_INTERNAL;
        }
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /** The first bad-input exception in the cause chain (Guice wraps provider failures), or null. */
    private static Throwable badInput(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Peft4jException || t instanceof IOException || t instanceof UncheckedIOException) {
                return t;
            }
        }
        return null;
    }

    private static String oneLine(String message) {
        return message == null ? "(no message)" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Peft4jCli.class.getPackage().getImplementationVersion();
            return new String[] {"peft4j " + (v == null ? "(development build)" : v)};
        }
    }
}
