package gibbon.jobs;

import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import gibbon.attack.AttackPlan;
import gibbon.metrics.RobustAccuracy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import scala.concurrent.Await;
import scala.concurrent.duration.Duration;

/**
 * The counts behind a run's {@code summary} rows, taken as its predictions are written (Spark
 * observed metrics), so that the summary needs no second pass over the table. One set of counts
 * per (attack, norm, epsilon) of the plans: the keys are known before the run. A retried stage may
 * count a partition twice, so the counts are used only when they add up to exactly one row per
 * example and key; otherwise {@link #summary} says so and the caller counts with a query.
 */
final class SummaryCounts {
    private record Key(String attack, String norm, double epsilon) {}

    private static final String[] KINDS = {"n", "correct", "clean_correct", "fooled", "confidence"};

    private final List<Key> keys = new ArrayList<>();
    private final Observation observation;

    /** @param runId names the observation, so that runs sharing a session never read each other's */
    SummaryCounts(String runId, List<AttackPlan> plans) {
        observation = new Observation("gibbon_summary_" + runId.replaceAll("[^A-Za-z0-9]", "_"));
        for (AttackPlan plan : plans) {
            for (double epsilon : plan.epsilons()) {
                keys.add(new Key(plan.label(), plan.norm().tableName(), epsilon));
            }
        }
    }

    /** The predictions rows, counted as they pass (columns of {@code predictions}). */
    Dataset<Row> observe(Dataset<Row> predictions) {
        List<Column> counts = new ArrayList<>();
        for (int k = 0; k < keys.size(); k++) {
            Key key = keys.get(k);
            Column in = predictions.col("attack").equalTo(key.attack()).and(predictions.col("norm").equalTo(key.norm()))
                    .and(predictions.col("epsilon").equalTo(key.epsilon()));
            Column correct = predictions.col("correct");
            Column cleanCorrect = predictions.col("clean_correct");
            counts.add(count_if(in).as(KINDS[0] + k));
            counts.add(count_if(in.and(correct)).as(KINDS[1] + k));
            counts.add(count_if(in.and(cleanCorrect)).as(KINDS[2] + k));
            counts.add(count_if(in.and(cleanCorrect).and(correct.unary_$bang())).as(KINDS[3] + k));
            counts.add(sum(when(in, predictions.col("confidence")).otherwise(lit(0.0))).as(KINDS[4] + k));
        }
        counts.add(count_if(lit(true)).as("rows"));
        return predictions.observe(observation, counts.get(0), counts.subList(1, counts.size()).toArray(Column[]::new));
    }

    /**
     * The summary of the written rows, or null when the counts are missing or are not exactly
     * {@code examples} rows for every key and no others.
     */
    List<RobustAccuracy> summary(long examples) {
        Map<String, Object> m;
        try {
            // The write has returned, so the metrics are already there or never come.
            Await.ready(observation.future(), Duration.create(5, TimeUnit.SECONDS));
            m = observation.getAsJava();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (java.util.concurrent.TimeoutException e) {
            return null;
        }
        if (count(m, "rows") != examples * keys.size()) {
            return null;
        }
        List<RobustAccuracy> summary = new ArrayList<>();
        for (int k = 0; k < keys.size(); k++) {
            Key key = keys.get(k);
            long n = count(m, KINDS[0] + k);
            if (n != examples) {
                return null;
            }
            Object confidence = m.get(KINDS[4] + k);
            summary.add(RobustAccuracy.of(key.attack(), key.norm(), key.epsilon(), n, count(m, KINDS[1] + k),
                    count(m, KINDS[2] + k), count(m, KINDS[3] + k),
                    confidence == null ? 0 : ((Number) confidence).doubleValue()));
        }
        return summary;
    }

    private static long count(Map<String, Object> metrics, String name) {
        return ((Number) metrics.get(name)).longValue();
    }
}
