package dev.diffusion4j.cli;

import dev.diffusion4j.engine.StopRequests;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code diffusion4j} command line: one subcommand per job. */
@Command(
        name = "diffusion4j",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Train and sample denoising diffusion probabilistic models (DDPM), in Java.",
        subcommands = {TrainCommand.class, DistillCommand.class, SampleCommand.class, InpaintCommand.class, EditCommand.class, InvertCommand.class,
                InterpolateCommand.class, ServeCommand.class, EvalCommand.class, MelCommand.class, BenchCommand.class, ScheduleCommand.class, DoctorCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for bad input: options, files, data. */
    public static final int EXIT_USAGE = 2;
    /** Exit code for a failure that is not the user's input. */
    public static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        StopRequests.install();
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code, printing errors as single lines. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given streams and returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            String message = ex instanceof CommandLine.UnmatchedArgumentException u && isCommandWord(c, u.getUnmatched())
                    ? unknownCommand(c, u.getUnmatched().get(0)) : ex.getMessage();
            c.getErr().println("diffusion4j: error: " + oneLine(message)
                    + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof StopRequests.Stopped) {
                c.getErr().println("diffusion4j: " + oneLine(ex.getMessage()));
                return StopRequests.exitCode();
            }
            if (ex instanceof UserInputException || ex instanceof IllegalArgumentException
                    || ex instanceof dev.diffusion4j.data.DataException || ex instanceof java.io.IOException) {
                c.getErr().println("diffusion4j: error: " + oneLine(ex.getMessage()));
                return EXIT_USAGE;
            }
            c.getErr().println("diffusion4j: failed: " + oneLine(String.valueOf(ex)));
            if (Boolean.getBoolean("diffusion4j.debug")) {
                ex.printStackTrace(c.getErr());
            }
            return EXIT_FAILURE;
        });
        cl.setExecutionStrategy(Main::refuseUnknownCommands);
        return cl.execute(args);
    }

    /**
     * Runs the parsed command, unless a word was left over, as an unknown command is when {@code --help} comes with it
     * (picocli then shows the help of the command above and exits 0): that is a usage error naming the word.
     */
    private static int refuseUnknownCommands(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult last = parsed;
        while (last.hasSubcommand()) {
            last = last.subcommand();
        }
        CommandLine c = last.commandSpec().commandLine();
        if (isCommandWord(c, last.unmatched())) {
            throw new CommandLine.ParameterException(c, unknownCommand(c, last.unmatched().get(0)));
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /** Whether the first word left over stands where {@code c} expects one of its commands. */
    private static boolean isCommandWord(CommandLine c, java.util.List<String> unmatched) {
        return !c.getSubcommands().isEmpty() && !unmatched.isEmpty() && !unmatched.get(0).startsWith("-");
    }

    private static String unknownCommand(CommandLine c, String word) {
        return "unknown command '" + word + "' (commands: " + String.join(", ", c.getSubcommands().keySet()) + ")";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}
