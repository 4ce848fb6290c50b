package gibbon.jobs;

import gibbon.GibbonException;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.PersistedView$;
import org.apache.spark.sql.catalyst.parser.ParseException;
import org.apache.spark.sql.catalyst.parser.ParserInterface;
import org.apache.spark.sql.catalyst.plans.logical.Command;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.ParsedStatement;
import org.apache.spark.sql.execution.SparkSqlParser;
import org.apache.spark.sql.execution.command.CreateViewCommand;

/**
 * The rule of an analyst's session on the result tables: statements that only read are allowed,
 * everything else is refused. In a shared catalog one analyst's statement must not be able to change
 * or destroy anyone's runs, so this is an allow-list (a deny-list missed Iceberg's {@code CALL}
 * procedures, which expire snapshots and delete files).
 *
 * <p>Allowed: queries (SELECT, WITH, VALUES, TABLE, over tables, views and Iceberg's metadata
 * tables such as {@code runs.snapshots}), SHOW, DESCRIBE, EXPLAIN, USE, SET/RESET of session
 * settings, and temporary views, which live in the session only. Everything else (DML, DDL,
 * CALL, CACHE, REFRESH, ANALYZE, ADD JAR, functions, ...) is refused.
 */
public final class ReadOnlyStatements {
    /** Commands that only describe or change the session, by their parsed plan's class. */
    private static final Pattern READING_COMMAND = Pattern.compile(
            "Show\\w*|Describe\\w*|ExplainCommand|SetCatalogAndNamespace|SetNamespaceCommand|SetCommand|ResetCommand");
    private static final Pattern TEMP_VIEW = Pattern.compile(
            "(?is)\\s*CREATE\\s+(OR\\s+REPLACE\\s+)?(GLOBAL\\s+)?TEMP(ORARY)?\\s+VIEW\\b.*");

    private static final SparkSqlParser QUERY_PARSER = new SparkSqlParser();

    private ReadOnlyStatements() {}

    /**
     * Refuses a statement that does anything but read.
     *
     * @throws GibbonException of kind QUERY naming the statement's first words
     * @throws ParseException when the statement is not valid SQL (the caller reports it)
     */
    public static void require(SparkSession spark, String sql) throws ParseException {
        require(spark.sessionState().sqlParser(), sql);
    }

    /** As {@link #require(SparkSession, String)}, parsing with a given parser (a session's own, wrapped). */
    public static void require(ParserInterface parser, String sql) throws ParseException {
        if (!reads(parser, sql)) {
            throw refusal("'" + firstWords(sql) + "'");
        }
    }

    /** Whether a statement only reads. */
    public static boolean reads(SparkSession spark, String sql) throws ParseException {
        return reads(spark.sessionState().sqlParser(), sql);
    }

    /** Whether a statement only reads, parsed by a given parser. */
    public static boolean reads(ParserInterface parser, String sql) throws ParseException {
        LogicalPlan plan = parser.parsePlan(sql);
        String kind = plan.getClass().getSimpleName();
        if (READING_COMMAND.matcher(kind).matches()) {
            return true;
        }
        if (kind.equals("CreateViewCommand") && TEMP_VIEW.matcher(sql).matches()) {
            return scala.jdk.javaapi.CollectionConverters.asJava(plan.children()).stream().allMatch(ReadOnlyStatements::isQuery);
        }
        return isQuery(plan) && parsesAsQuery(sql);
    }

    /**
     * Refuses an analyzed plan with a command other than the reading ones, the same rule as for
     * statements: how writes that arrive without SQL text (a Spark Connect client's
     * {@code df.writeTo(...)} or {@code df.write().saveAsTable(...)}) are refused. Temporary views,
     * which live in the session only, pass.
     *
     * @throws GibbonException of kind QUERY naming the command
     */
    public static void requireReading(LogicalPlan analyzed) {
        scala.Option<LogicalPlan> writing = analyzed.find(node -> node instanceof Command
                && !READING_COMMAND.matcher(node.getClass().getSimpleName()).matches()
                && !(node instanceof CreateViewCommand view && view.viewType() != PersistedView$.MODULE$));
        if (writing.isDefined()) {
            throw refusal("a write (" + writing.get().getClass().getSimpleName() + ")");
        }
    }

    private static GibbonException refusal(String what) {
        return new GibbonException(GibbonException.Kind.QUERY, "query: " + what
                + " would change the result tables; only SELECT, WITH, SHOW, DESCRIBE, EXPLAIN and USE run"
                + " unless --allow-writes");
    }

    /**
     * Whether Spark's own grammar takes the statement as a query. A CALL's plan is neither a command
     * nor a parsed statement (it runs during analysis), and the session's parser, with Iceberg's
     * extensions, answers a CALL even when asked for a query; Spark's query rule does not.
     */
    private static boolean parsesAsQuery(String sql) {
        try {
            QUERY_PARSER.parseQuery(sql);
            return true;
        } catch (Exception e) {
            // Scala declares no checked exceptions: ParseException (checked in Java) arrives undeclared.
            if (e instanceof ParseException) {
                return false;
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    /** A plan with no command or statement anywhere in it. */
    private static boolean isQuery(LogicalPlan plan) {
        return plan.find(node -> node instanceof Command || node instanceof ParsedStatement).isEmpty();
    }

    private static String firstWords(String sql) {
        String[] words = sql.strip().split("\\s+");
        return String.join(" ", java.util.Arrays.copyOf(words, Math.min(3, words.length)));
    }
}
