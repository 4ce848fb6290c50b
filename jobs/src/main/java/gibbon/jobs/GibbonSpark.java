package gibbon.jobs;

import gibbon.GibbonException;
import gibbon.config.ExperimentConfig;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;

/**
 * Builds the SparkSession a Gibbon command runs in, with the Iceberg catalog of the result tables.
 * Under spark-submit the master and Spark settings come from spark-submit; otherwise the config's
 * {@code spark.master} (default {@code local[*]}) applies, with the UI off and the driver bound to
 * 127.0.0.1 so that nothing listens beyond this machine.
 */
public final class GibbonSpark {
    /**
     * glibc settings of executors, as the gibbon launcher sets them for its own JVM: one arena, and
     * libtorch's large per-batch buffers kept in the heap instead of being mapped, unmapped and
     * faulted in again on every allocation (its cost is measured in docs/performance.md).
     */
    private static final Map<String, String> EXECUTOR_ENV = Map.of("MALLOC_ARENA_MAX", "1",
            "MALLOC_MMAP_THRESHOLD_", "268435456", "MALLOC_TRIM_THRESHOLD_", "1073741824");
    private static final String EXECUTOR_JAVA_OPTIONS = "spark.executor.extraJavaOptions";
    /** The JVM calls malloc_trim every 30 s; a JDK without the flag ignores it (Spark passes -XX:+IgnoreUnrecognizedVMOptions). */
    private static final String TRIM_NATIVE_HEAP = "-XX:TrimNativeHeapInterval=30000";

    /**
     * Gibbon's Spark defaults, set only where the user (spark-submit, spark-defaults.conf or the
     * config's {@code spark.conf}) set nothing: a run's small aggregations need few shuffle
     * partitions, and a lost executor should be noticed in seconds.
     */
    private static final Map<String, String> SPARK_DEFAULTS = Map.of(
            "spark.sql.shuffle.partitions", "8", "spark.executor.heartbeatInterval", "3s");
    private static final String SPARK_HADOOP = "spark.hadoop.";

    private GibbonSpark() {}

    /**
     * The config with one set of Hadoop properties for Gibbon's own reads of datasets and models:
     * Spark's {@code spark.hadoop.*} settings (spark-submit's {@code --conf}, spark-defaults.conf, the
     * config's {@code spark.conf}) and the config's {@code hadoop} section, the same properties
     * Spark's own reads see. The config carries them to the executors. A key set in both places to
     * different values is an error naming both; values are never shown, as they may be secrets.
     */
    public static ExperimentConfig withSparkHadoop(ExperimentConfig config) {
        Map<String, String> spark = new TreeMap<>();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(SPARK_HADOOP))
                .forEach(k -> spark.put(k, System.getProperty(k)));
        config.sparkConf().forEach((k, v) -> {
            if (k.startsWith(SPARK_HADOOP)) {
                spark.put(k, v);
            }
        });
        Map<String, String> merged = new TreeMap<>();
        spark.forEach((key, value) -> merged.put(key.substring(SPARK_HADOOP.length()), value));
        for (Map.Entry<String, String> e : config.hadoop().entrySet()) {
            String other = merged.get(e.getKey());
            if (other != null && !other.equals(e.getValue())) {
                throw GibbonException.config("config key 'hadoop.\"" + e.getKey() + "\"' contradicts Spark's '"
                        + SPARK_HADOOP + e.getKey() + "' (spark-submit --conf, spark-defaults.conf or spark.conf);"
                        + " set it in one place");
            }
            merged.put(e.getKey(), e.getValue());
        }
        return merged.equals(config.hadoop()) ? config : config.withHadoop(merged);
    }

    /** The session for a config, creating it if needed, with the result catalog reached first, registered and opened. */
    public static SparkSession session(ExperimentConfig config) {
        ResultCatalog.requireReachable(config);
        SparkSession.Builder builder = SparkSession.builder().appName("gibbon");
        boolean submitted = System.getProperty("spark.master") != null;
        String master = submitted ? System.getProperty("spark.master") : config.sparkMaster();
        if (!submitted) {
            builder.master(master);
        }
        if (master.startsWith("local")) {
            builder.config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1");
        }
        builder.config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
                .config("spark.sql.session.timeZone", "UTC");
        SPARK_DEFAULTS.forEach((key, value) -> {
            if (userSetting(config, key) == null) {
                builder.config(key, value);
            }
        });
        config.sparkConf().forEach(builder::config);
        // As the gibbon launcher does for its own JVM: executors keep freed buffers in glibc's heap
        // (EXECUTOR_ENV) and hand their pages back to the OS every 30 s, so that RSS does not climb
        // with the number of batches (docs/performance.md). A user's own settings win.
        EXECUTOR_ENV.forEach((name, value) -> {
            if (userSetting(config, "spark.executorEnv." + name) == null) {
                builder.config("spark.executorEnv." + name, value);
            }
        });
        String javaOptions = userSetting(config, EXECUTOR_JAVA_OPTIONS);
        if (javaOptions == null || !javaOptions.contains("TrimNativeHeapInterval")) {
            builder.config(EXECUTOR_JAVA_OPTIONS, (javaOptions == null ? "" : javaOptions + " ") + TRIM_NATIVE_HEAP);
        }
        SparkSession spark = builder.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        ResultCatalog.register(spark, config);
        withSparkHadoop(config).hadoop().forEach((k, v) -> spark.sparkContext().hadoopConfiguration().set(k, v));
        ResultCatalog.open(spark, config);
        return spark;
    }

    /** A Spark setting from the config's {@code spark.conf} or from spark-submit (system properties), or null. */
    private static String userSetting(ExperimentConfig config, String key) {
        String configured = config.sparkConf().get(key);
        return configured != null ? configured : System.getProperty(key);
    }

    /** Stops the active session, if any, so the JVM exits promptly. */
    public static void stopIfRunning() {
        if (SparkSession.getDefaultSession().isDefined()) {
            SparkSession.getDefaultSession().get().stop();
        }
    }
}
