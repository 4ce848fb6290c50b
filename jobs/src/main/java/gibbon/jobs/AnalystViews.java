package gibbon.jobs;

import gibbon.GibbonException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Views for the questions analysts ask first, registered as temporary views in every
 * {@code gibbon sql} and {@code gibbon report} session (the Hadoop catalog stores no views; the
 * same SQL, listed in docs/tables.md, works in any Spark SQL shell):
 * <ul>
 *   <li>{@code robustness_curve}: how robust accuracy falls with epsilon, per run and attack, with
 *       the 95 % interval and the run's model;
 *   <li>{@code latest_summary}: the summary of the most recent successful run;
 *   <li>{@code class_robustness}: which classes break first, accuracy per class, attack and epsilon.
 * </ul>
 * Restricted to one run ({@code --run}), every view shows only that run.
 */
public final class AnalystViews {
    /** The word that stands for the most recent successful run. */
    public static final String LATEST = "latest";

    private static final String LATEST_RUN =
            "(SELECT run_id FROM runs WHERE status = 'succeeded' ORDER BY started_at DESC LIMIT 1)";

    private AnalystViews() {}

    /** Each view's name and its SELECT, over the plain table names, optionally limited to one run. */
    public static Map<String, String> definitions(String runId) {
        String only = runId == null ? "" : " WHERE s.run_id = '" + runId + "'";
        Map<String, String> views = new LinkedHashMap<>();
        views.put("robustness_curve", "SELECT s.run_id, r.started_at, r.model_uri, s.attack, s.norm, s.epsilon, s.n,"
                + " s.robust_accuracy, s.ci_low, s.ci_high, s.clean_accuracy, s.attack_success_rate"
                + " FROM summary s JOIN runs r ON s.run_id = r.run_id" + only);
        views.put("latest_summary", "SELECT s.* FROM summary s WHERE s.run_id = "
                + (runId == null ? LATEST_RUN : "'" + runId + "'"));
        views.put("class_robustness", "SELECT s.run_id, s.attack, s.norm, s.epsilon, s.label,"
                + " coalesce(try_element_at(r.class_names, s.label + 1), CAST(s.label AS STRING)) AS class_name,"
                + " count(*) AS n, avg(CAST(s.correct AS DOUBLE)) AS robust_accuracy,"
                + " avg(CAST(s.clean_correct AS DOUBLE)) AS clean_accuracy"
                + " FROM predictions s JOIN runs r ON s.run_id = r.run_id" + only
                + " GROUP BY s.run_id, s.attack, s.norm, s.epsilon, s.label, r.class_names");
        return views;
    }

    /** Registers the views; the session's current namespace must hold the result tables. */
    public static void register(SparkSession spark, String runId) {
        definitions(runId).forEach((name, select) -> spark.sql("CREATE OR REPLACE TEMPORARY VIEW " + name + " AS " + select));
    }

    /**
     * The run an argument names: {@code latest} is the most recent successful run; any other id
     * must exist.
     */
    public static String resolveRun(SparkSession spark, ResultTables tables, String run) {
        if (run.equals(LATEST)) {
            List<Row> rows = spark.sql("SELECT run_id FROM " + tables.name(ResultTables.RUNS)
                    + " WHERE status = 'succeeded' ORDER BY started_at DESC LIMIT 1").collectAsList();
            if (rows.isEmpty()) {
                throw new GibbonException(GibbonException.Kind.QUERY, "run latest: " + tables.name(ResultTables.RUNS)
                        + " has no successful run yet (gibbon run makes one)");
            }
            return rows.get(0).getString(0);
        }
        if (!run.matches("[A-Za-z0-9._-]+") || tables.storedConfig(run) == null) {
            throw new GibbonException(GibbonException.Kind.QUERY, "run '" + run + "': no such run in "
                    + tables.name(ResultTables.RUNS) + " (gibbon sql \"SELECT run_id, status FROM runs\" lists them)");
        }
        return run;
    }
}
