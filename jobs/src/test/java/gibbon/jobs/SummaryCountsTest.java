package gibbon.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import gibbon.attack.AttackPlan;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.metrics.RobustAccuracy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The summary taken while predictions are written into a real Iceberg table equals the one a
 * query counts from that table, and is refused when a partition was counted twice.
 */
class SummaryCountsTest {
    private static final long EXAMPLES = 300;

    @TempDir
    static Path warehouse;

    private static ExperimentConfig config;
    private static SparkSession spark;
    private static ResultTables tables;

    @BeforeAll
    static void start() {
        config = ConfigLoader.load(Path.of("conf", "default.conf"), List.of("spark.master=\"local[2]\"",
                "output.warehouse=" + warehouse, "output.catalog=counts"));
        spark = GibbonSpark.session(config);
        tables = new ResultTables(spark, config);
        tables.createIfMissing();
    }

    @AfterAll
    static void stop() {
        GibbonSpark.stopIfRunning();
    }

    /** Prediction rows for every (attack, epsilon) of the plans, with random outcomes, in 4 partitions. */
    private static Dataset<Row> predictions(String runId, List<AttackPlan> plans) {
        Random random = new Random(7);
        List<Row> rows = new ArrayList<>();
        for (AttackPlan plan : plans) {
            for (double epsilon : plan.epsilons()) {
                for (long id = 0; id < EXAMPLES; id++) {
                    int label = random.nextInt(10);
                    int predicted = random.nextInt(3) == 0 ? (label + 1) % 10 : label;
                    rows.add(RowFactory.create(runId, id, label, plan.label(), plan.norm().tableName(), epsilon, predicted,
                            predicted == label, random.nextFloat(), random.nextFloat(), 0f, 0f, random.nextBoolean(),
                            null, null, null, null));
                }
            }
        }
        return spark.createDataFrame(rows, ResultTables.PREDICTIONS_SCHEMA).repartition(4);
    }

    @Test
    void observedSummaryEqualsTheCountedOne() {
        List<AttackPlan> plans = config.attacks();
        SummaryCounts counts = new SummaryCounts("observed", plans);
        tables.replaceRun(ResultTables.PREDICTIONS, counts.observe(predictions("observed", plans)));
        List<RobustAccuracy> observed = counts.summary(EXAMPLES);
        assertNotNull(observed, "the write's counts should be exact");
        assertEquals(plans.stream().mapToInt(p -> p.epsilons().size()).sum(), observed.size());
        Map<String, Row> counted = new HashMap<>();
        spark.sql("SELECT attack, epsilon, count(*), count_if(correct), count_if(clean_correct), count_if(clean_correct"
                + " AND NOT correct), sum(confidence) FROM " + tables.name(ResultTables.PREDICTIONS)
                + " WHERE run_id = 'observed' GROUP BY attack, epsilon").collectAsList()
                .forEach(r -> counted.put(r.getString(0) + "@" + r.getDouble(1), r));
        for (RobustAccuracy o : observed) {
            Row c = counted.get(o.attack() + "@" + o.epsilon());
            RobustAccuracy expected = RobustAccuracy.of(o.attack(), o.norm(), o.epsilon(), c.getLong(2), c.getLong(3),
                    c.getLong(4), c.getLong(5), c.getDouble(6));
            assertEquals(expected.n(), o.n());
            assertEquals(expected.correct(), o.correct(), o.attack() + " " + o.epsilon());
            assertEquals(expected.cleanAccuracy(), o.cleanAccuracy(), 1e-12);
            assertEquals(expected.attackSuccessRate(), o.attackSuccessRate(), 1e-12);
            assertEquals(expected.meanConfidence(), o.meanConfidence(), 1e-9);
        }
    }

    @Test
    void rowsCountedTwiceAreRefused() {
        List<AttackPlan> plans = config.attacks();
        SummaryCounts counts = new SummaryCounts("twice", plans);
        Dataset<Row> rows = predictions("twice", plans);
        // As a re-executed stage would: some rows pass the counter twice.
        tables.replaceRun(ResultTables.PREDICTIONS, counts.observe(rows.union(rows.limit(5))));
        assertNull(counts.summary(EXAMPLES));
    }

    @Test
    void rowsOfAnUnplannedEpsilonAreRefused() {
        List<AttackPlan> plans = config.attacks();
        SummaryCounts counts = new SummaryCounts("unplanned", plans.subList(1, plans.size()));
        tables.replaceRun(ResultTables.PREDICTIONS, counts.observe(predictions("unplanned", plans)));
        assertNull(counts.summary(EXAMPLES));
    }
}
