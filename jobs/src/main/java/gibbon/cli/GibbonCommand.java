package gibbon.cli;

import gibbon.GibbonException;
import gibbon.GibbonVersion;
import gibbon.Secrets;
import gibbon.jobs.GibbonSpark;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code gibbon} command line: {@code run}, {@code train}, {@code sql}, {@code serve}, {@code report},
 * {@code export}, {@code maintain}, {@code attacks}, {@code config}, {@code doctor}, and the {@link AddOnCommand}s
 * on the classpath
 * ({@code bench}). User errors print one line and exit with their kind's code (2 usage/config, 3
 * data, 4 model, 5 query); anything else is a runtime failure (exit 1).
 */
@Command(name = "gibbon", mixinStandardHelpOptions = true, versionProvider = GibbonCommand.Version.class,
        description = "Measures how easily a trained image classifier is fooled.")
public final class GibbonCommand implements Runnable {
    /** Exit code of a failure that is not the user's input. */
    public static final int RUNTIME_FAILURE = 1;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        List<String> commands = spec.subcommands().keySet().stream().filter(name -> !name.equals("help")).toList();
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (" + String.join(", ", commands) + ")");
    }

    public static void main(String[] args) {
        int code = execute(args);
        GibbonSpark.stopIfRunning();
        System.exit(code);
    }

    /** Runs the command line and returns its exit code (the tests call this). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new GibbonCommand());
        subcommands().forEach(cli::addSubcommand);
        // After the subcommands: the setting reaches only those already added.
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((e, a) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println(e.getCommandLine().getCommandName() + ": " + Secrets.redact(e.getMessage()) + " (see "
                    + e.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
            err.flush();
            return GibbonException.Kind.CONFIG.exitCode();
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = parseResult.matchedOptionValue("--verbose", false)
                    || parseResult.subcommands().stream().anyMatch(s -> s.matchedOptionValue("--verbose", false));
            PrintWriter err = commandLine.getErr();
            GibbonException user = userError(e);
            // Messages can echo a location or a catalog uri: credentials in them are hidden.
            if (user != null) {
                err.println("gibbon: error: " + Secrets.redact(user.getMessage()));
            } else {
                err.println("gibbon: failed: " + e.getClass().getSimpleName() + ": " + Secrets.redact(firstLine(e.getMessage()))
                        + (verbose ? "" : " (--verbose shows the stack trace)"));
            }
            if (verbose) {
                java.io.StringWriter trace = new java.io.StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                err.print(Secrets.redact(trace.toString()));
            }
            err.flush();
            return user != null ? user.exitCode() : RUNTIME_FAILURE;
        });
        return cli.execute(args);
    }

    /** The subcommands in the order help lists them, add-ons where bench always stood. */
    private static List<Object> subcommands() {
        List<Object> commands = new ArrayList<>(List.of(new RunCommand(), new TrainCommand(), new SqlCommand(),
                new ServeCommand(), new ReportCommand(), new ExportCommand(), new MaintainCommand()));
        ServiceLoader.load(AddOnCommand.class).forEach(commands::add);
        commands.addAll(List.of(new AttacksCommand(), new ConfigCommand(), new DoctorCommand(),
                new CommandLine.HelpCommand()));
        return commands;
    }

    /** The user error behind an exception, if any (Spark wraps executor-side exceptions). */
    static GibbonException userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof GibbonException g) {
                return g;
            }
        }
        return null;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"gibbon " + GibbonVersion.get()};
        }
    }
}
