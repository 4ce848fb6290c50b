package gibbon.cli;

import gibbon.GibbonException;
import gibbon.jobs.AnalystViews;
import gibbon.jobs.QueryFormat;
import gibbon.jobs.ReadOnlyStatements;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gibbon sql}: Spark SQL over the result tables. The plain table names resolve to the
 * configured catalog and namespace, and the analyst views ({@link AnalystViews}) are defined. With
 * a query it prints the result to stdout (logs go to stderr); without one it opens a prompt.
 */
@Command(name = "sql", mixinStandardHelpOptions = true, description = {"Query the result tables with Spark SQL.",
        "Without QUERY: an interactive prompt (statements end with ';', \\q quits, history in ~/.gibbon_history).",
        "Views: robustness_curve, latest_summary, class_robustness, leaderboard."})
final class SqlCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "QUERY", description = "SQL, e.g. \"SELECT * FROM summary\".")
    String query;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (one object per line).")
    QueryFormat format;

    @Option(names = "--allow-writes", description = "Allow statements other than reads (INSERT, DELETE, DROP, CALL, ...); off by default.")
    boolean allowWrites;

    @Option(names = "--run", paramLabel = "RUN_ID", description = "Limit the views to one run: an id, or 'latest'.")
    String run;

    @Mixin
    ResultTablesOptions results;

    @Override
    public Integer call() throws IOException {
        ResultTablesOptions.Opened opened = results.open();
        SparkSession spark = opened.spark();
        AnalystViews.register(spark, run == null ? null : AnalystViews.resolveRun(spark, opened.tables(), run));
        if (query != null) {
            System.out.print(execute(spark, query));
            System.out.flush();
            return 0;
        }
        return prompt(spark);
    }

    /** Runs one statement and renders its result; a bad statement is the user's error. */
    private String execute(SparkSession spark, String sql) {
        try {
            if (!allowWrites) {
                ReadOnlyStatements.require(spark, sql);
            }
            Dataset<Row> result = spark.sql(sql);
            return format.render(result.schema(), result.collectAsList());
        } catch (Exception e) {
            if (isUsersError(e)) {
                throw new GibbonException(GibbonException.Kind.QUERY, "query: " + firstLine(e.getMessage()), e);
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    /**
     * Whether a failed statement is the user's to fix: Spark's AnalysisException (parse errors
     * included; checked in Java's eyes but never declared) or a classified Spark error, possibly
     * wrapped, as Iceberg's procedures (under --allow-writes) wrap a missing table, or their own
     * rejection of an argument.
     */
    private static boolean isUsersError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AnalysisException || t instanceof IllegalArgumentException
                    || t.getClass().getName().startsWith("org.apache.iceberg.exceptions.")
                    || (t instanceof SparkThrowable s && s.getCondition() != null && !s.isInternalError())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The interactive prompt. On a terminal it edits lines and keeps history; from a pipe it reads
     * statements line by line, so scripts can feed it. Errors are printed and the prompt goes on.
     */
    private int prompt(SparkSession spark) throws IOException {
        PrintStream out = System.out;
        StatementReader reader = System.console() != null ? new TerminalReader() : new PipeReader();
        if (System.console() != null) {
            out.println("gibbon sql: Spark SQL on the result tables; end statements with ';', \\q quits.");
            out.println("tables: runs, predictions, summary, adversarial_examples, transfer, transfer_summary;"
                    + " views: robustness_curve, latest_summary, class_robustness, leaderboard");
        }
        StringBuilder statement = new StringBuilder();
        String line;
        while ((line = reader.readLine(statement.isEmpty() ? "gibbon> " : "     -> ")) != null) {
            String trimmed = line.strip();
            if (statement.isEmpty() && (trimmed.equals("\\q") || trimmed.equalsIgnoreCase("quit")
                    || trimmed.equalsIgnoreCase("exit"))) {
                break;
            }
            statement.append(line).append('\n');
            String sql = statement.toString().strip();
            if (!sql.endsWith(";")) {
                continue;
            }
            statement.setLength(0);
            answer(spark, sql.substring(0, sql.length() - 1), out);
        }
        // A last statement without ';' at the end of a piped script still runs.
        answer(spark, statement.toString(), out);
        reader.close();
        return 0;
    }

    private void answer(SparkSession spark, String sql, PrintStream out) {
        if (sql.isBlank()) {
            return;
        }
        try {
            out.print(execute(spark, sql.strip()));
        } catch (GibbonException e) {
            out.println("error: " + e.getMessage());
        }
        out.flush();
    }

    /** The first non-blank line: Spark's parse errors open with an empty one. */
    private static String firstLine(String s) {
        return s == null ? "" : s.lines().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse("");
    }

    /** Where the prompt's lines come from. */
    private interface StatementReader extends AutoCloseable {
        /** The next line, or null at the end of input. */
        String readLine(String prompt) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** A terminal: line editing and history that survives sessions. */
    private static final class TerminalReader implements StatementReader {
        private final Terminal terminal;
        private final LineReader reader;

        TerminalReader() throws IOException {
            terminal = TerminalBuilder.builder().system(true).build();
            reader = LineReaderBuilder.builder().terminal(terminal).appName("gibbon")
                    .variable(LineReader.HISTORY_FILE, Path.of(System.getProperty("user.home"), ".gibbon_history"))
                    .build();
        }

        @Override
        public String readLine(String prompt) {
            try {
                return reader.readLine(prompt);
            } catch (UserInterruptException e) {
                return "";
            } catch (EndOfFileException e) {
                return null;
            }
        }

        @Override
        public void close() throws IOException {
            reader.getHistory().save();
            terminal.close();
        }
    }

    /** A pipe or file: plain lines, no prompt echoed. */
    private static final class PipeReader implements StatementReader {
        private final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

        @Override
        public String readLine(String prompt) throws IOException {
            return in.readLine();
        }

        @Override
        public void close() {
            // System.in stays open for whoever called us.
        }
    }
}
