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
 *   <li>{@code class_robustness}: which classes break first, accuracy per class, attack and epsilon;
 *   <li>{@code leaderboard}: per model and dataset, its newest successful run's clean accuracy and,
 *       at every budget it was attacked with, the worst case over attacks (AutoAttack's own figure
 *       beside it where it ran), with {@code standard} marking RobustBench's budgets;
 *   <li>{@code certified_bracket}: per run, σ and radius r, the certified accuracy of randomized
 *       smoothing (a lower bound) beside the worst empirical robust accuracy of the run's L2
 *       attacks at ε = r (an upper bound, for the base model the attacks attacked).
 * </ul>
 * Restricted to one run ({@code --run}), every view shows only that run.
 */
public final class AnalystViews {
    /** The word that stands for the most recent successful run. */
    public static final String LATEST = "latest";

    private static final String LATEST_RUN =
            "(SELECT run_id FROM runs WHERE status = 'succeeded' ORDER BY started_at DESC LIMIT 1)";

    /** RobustBench's standard budgets: L-infinity 8/255 and L2 0.5, matched within this (0.0314 counts as 8/255). */
    public static final double STANDARD_TOLERANCE = 1e-4;

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
        views.put("leaderboard", leaderboard(runId));
        views.put("certified_bracket", certifiedBracket(runId));
        return views;
    }

    /** L2 budgets and certified radii are the same number when they differ by less than this. */
    private static final double RADIUS_TOLERANCE = 1e-9;

    /**
     * The bracket's SELECT: every row of {@code certified_summary}, with the L2 attacks of the same
     * run at epsilon = radius; null where the run has none at that budget.
     */
    private static String certifiedBracket(String runId) {
        return "SELECT c.run_id, c.sigma, c.radius, c.n, c.certified_accuracy, c.ci_low AS certified_ci_low,"
                + " c.ci_high AS certified_ci_high, min(s.robust_accuracy) AS empirical_robust_accuracy,"
                + " min_by(s.attack, named_struct('accuracy', s.robust_accuracy, 'attack', s.attack)) AS strongest_attack,"
                + " count(s.attack) AS l2_attacks, c.smoothed_accuracy"
                + " FROM certified_summary c LEFT JOIN summary s ON s.run_id = c.run_id AND s.norm = 'l2'"
                + " AND abs(s.epsilon - c.radius) < " + RADIUS_TOLERANCE + "D"
                + (runId == null ? "" : " WHERE c.run_id = '" + runId + "'")
                + " GROUP BY c.run_id, c.sigma, c.radius, c.n, c.certified_accuracy, c.ci_low, c.ci_high, c.smoothed_accuracy";
    }

    /**
     * The leaderboard's SELECT. A model is its {@code model_uri} on one {@code dataset_uri}; its
     * newest successful run stands for it. AutoAttack is recognised by the attack type of the
     * entry in the run's stored config, so an entry with a custom name counts too.
     */
    private static String leaderboard(String runId) {
        return "WITH newest AS (SELECT * FROM (SELECT r.run_id, r.started_at, r.model_uri, r.model_sha256,"
                + " r.dataset_uri, r.config, row_number() OVER (PARTITION BY r.model_uri, r.dataset_uri"
                + " ORDER BY r.started_at DESC, r.run_id DESC) AS age FROM runs r WHERE r.status = 'succeeded'"
                + (runId == null ? "" : " AND r.run_id = '" + runId + "'") + ") WHERE age = 1),"
                + " cells AS (SELECT n.*, s.attack, s.norm, s.epsilon, s.n, s.robust_accuracy, s.clean_accuracy,"
                + " coalesce(get_json_object(n.config, concat('$.attacks.', s.attack, '.attack')), s.attack) AS attack_type"
                + " FROM newest n JOIN summary s ON s.run_id = n.run_id WHERE s.epsilon > 0)"
                + " SELECT model_uri AS model, dataset_uri AS dataset, run_id, started_at, model_sha256,"
                + " sha2(config, 256) AS config_hash, max(n) AS n, max(clean_accuracy) AS clean_accuracy, norm, epsilon,"
                + " (norm = 'linf' AND abs(epsilon - 8.0D / 255) < " + STANDARD_TOLERANCE + "D)"
                + " OR (norm = 'l2' AND abs(epsilon - 0.5D) < " + STANDARD_TOLERANCE + "D) AS standard,"
                + " min(robust_accuracy) AS robust_accuracy,"
                // Ties go to the attack name that sorts first, so the answer does not change between queries.
                + " min_by(attack, named_struct('accuracy', robust_accuracy, 'attack', attack)) AS attack,"
                + " min(CASE WHEN attack_type IN ('autoattack', 'autoattack_l2') THEN robust_accuracy END)"
                + " AS autoattack_accuracy, count(*) AS attacks"
                + " FROM cells GROUP BY model_uri, dataset_uri, run_id, started_at, model_sha256, config, norm, epsilon";
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
