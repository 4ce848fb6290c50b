package gibbon.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.GibbonException;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One source of Hadoop properties for Gibbon's own reads, and Spark defaults that never replace a user's setting. */
class GibbonSparkTest {
    @TempDir
    static Path warehouse;

    private static ExperimentConfig config(String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.warehouse=" + warehouse));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(Path.of("conf/default.conf"), all);
    }

    @Test
    void sparkHadoopSettingsJoinTheConfigsHadoopSection() {
        System.setProperty("spark.hadoop.fs.s3a.connection.maximum", "17");
        try {
            ExperimentConfig merged = GibbonSpark.withSparkHadoop(config(
                    "spark.conf.\"spark.hadoop.fs.s3a.endpoint\"=\"http://127.0.0.1:9000\"",
                    "hadoop.\"fs.s3a.path.style.access\"=true"));
            assertEquals(Map.of("fs.s3a.endpoint", "http://127.0.0.1:9000", "fs.s3a.path.style.access", "true",
                    "fs.s3a.connection.maximum", "17"), merged.hadoop());
            assertEquals("17", gibbon.io.Storage.hadoopConf(merged.hadoop()).get("fs.s3a.connection.maximum"),
                    "the executors' reads see spark-submit's --conf");
        } finally {
            System.clearProperty("spark.hadoop.fs.s3a.connection.maximum");
        }
    }

    @Test
    void aKeySetTwiceToDifferentValuesIsAnError() {
        GibbonException e = assertThrows(GibbonException.class, () -> GibbonSpark.withSparkHadoop(config(
                "spark.conf.\"spark.hadoop.fs.s3a.secret.key\"=one-secret", "hadoop.\"fs.s3a.secret.key\"=other-secret")));
        assertEquals(GibbonException.Kind.CONFIG, e.kind());
        assertTrue(e.getMessage().contains("hadoop.\"fs.s3a.secret.key\"") && e.getMessage().contains("spark.hadoop.fs.s3a.secret.key"),
                e.getMessage());
        assertFalse(e.getMessage().contains("secret\"=") || e.getMessage().contains("one-secret")
                || e.getMessage().contains("other-secret"), "values are never shown: " + e.getMessage());
        assertEquals("same", GibbonSpark.withSparkHadoop(config("spark.conf.\"spark.hadoop.a.b\"=same", "hadoop.\"a.b\"=same"))
                .hadoop().get("a.b"), "the same value in both places is no contradiction");
    }

    @Test
    void gibbonsSparkDefaultsYieldToTheUsers() {
        SparkSession spark = GibbonSpark.session(config("spark.conf.\"spark.sql.shuffle.partitions\"=3"));
        assertEquals("3", spark.conf().get("spark.sql.shuffle.partitions"));
        spark = GibbonSpark.session(config());
        assertEquals("8", spark.conf().get("spark.sql.shuffle.partitions"), "Gibbon's default where the user set none");
    }
}
