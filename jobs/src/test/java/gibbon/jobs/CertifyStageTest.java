package gibbon.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distributed certification on a real local[2] SparkSession with the bundled model and test set:
 * an example's samples cut into 1, 3 or 8 chunks, run as separate tasks and merged by Spark's
 * aggregation, give identical certificates, and every certificate obeys CERTIFY's invariants.
 */
class CertifyStageTest {
    private static final int EXAMPLES = 6;
    private static final int N = 1200;
    private static final int BATCH = 50;

    @TempDir
    static Path warehouse;

    private static SparkSession spark;
    private static IdxSource source;

    private static ExperimentConfig config(int chunkSize) {
        return ConfigLoader.load(Path.of("conf/default.conf"), List.of("output.warehouse=" + warehouse,
                "output.catalog=certifytest", "spark.master=\"local[2]\"", "certify.enabled=true", "certify.sigma=[0.25]",
                "certify.n0=100", "certify.n=" + N, "certify.batch-size=" + BATCH, "certify.chunk-size=" + chunkSize));
    }

    @BeforeAll
    static void start() {
        ExperimentConfig config = config(N);
        spark = GibbonSpark.session(config);
        source = new IdxSource(config.dataset(), Map.of());
    }

    @AfterAll
    static void stop() {
        GibbonSpark.stopIfRunning();
    }

    /** The certified rows of the first examples with the samples cut into chunks of {@code chunkSize}. */
    private static List<Row> certify(int chunkSize) {
        CertifyStage stage = new CertifyStage(config(chunkSize), new PrintStream(OutputStream.nullOutputStream()));
        LongAccumulator done = spark.sparkContext().longAccumulator();
        Dataset<Row> rows = stage.certified(spark, source.rows(spark, EXAMPLES, 2), EXAMPLES, 10, "test", done)
                .orderBy("example_id", "sigma");
        List<Row> out = rows.collectAsList();
        assertEquals((long) EXAMPLES * (100 + N), done.value(), "every sample classified once");
        return out;
    }

    @Test
    void certificatesDoNotDependOnTheChunking() {
        List<Row> one = certify(N);
        List<Row> three = certify(N / 3);
        List<Row> eight = certify(N / 8);
        assertEquals(EXAMPLES, one.size());
        assertEquals(one, three, "1 chunk vs 3 chunks");
        assertEquals(one, eight, "1 chunk vs 8 chunks");
        for (Row r : one) {
            System.out.println("certified " + r);
        }
        checkInvariants(one);
    }

    @Test
    void eachExampleIsCutIntoChunksAtEverySigma() {
        List<Row> chunks = new CertifyStage(config(N / 8), new PrintStream(OutputStream.nullOutputStream()))
                .chunks();
        assertEquals(1 + 8, chunks.size());
        assertEquals(List.of(0L, 100L), List.of(chunks.get(0).getLong(3), chunks.get(0).getLong(4)));
        assertEquals(List.of(100L + 7 * N / 8, 100L + N), List.of(chunks.get(8).getLong(3), chunks.get(8).getLong(4)));
    }

    /** CERTIFY's promises, row by row. */
    static void checkInvariants(List<Row> certified) {
        List<Long> correct = new ArrayList<>();
        for (Row r : certified) {
            boolean abstained = r.getBoolean(r.fieldIndex("abstained"));
            double pALower = r.getDouble(r.fieldIndex("p_a_lower"));
            if (abstained) {
                assertTrue(pALower < 0.5, r.toString());
                assertTrue(r.isNullAt(r.fieldIndex("radius")) && r.isNullAt(r.fieldIndex("predicted")), r.toString());
                assertFalse(r.getBoolean(r.fieldIndex("correct")), r.toString());
            } else {
                assertTrue(pALower >= 0.5, r.toString());
                assertTrue(r.getDouble(r.fieldIndex("radius")) >= 0, r.toString());
                // p̲A >= 1/2 makes nA a majority of the n samples: the certified class is the smoothed one.
                assertEquals(r.getInt(r.fieldIndex("smoothed_class")), r.getInt(r.fieldIndex("predicted")), r.toString());
                assertTrue(pALower <= (double) r.getLong(r.fieldIndex("n_a")) / r.getLong(r.fieldIndex("n")), r.toString());
            }
            if (r.getBoolean(r.fieldIndex("correct"))) {
                correct.add(r.getLong(r.fieldIndex("example_id")));
            }
        }
        assertFalse(correct.isEmpty(), "some examples certified correctly");
    }
}
