package gibbon.jobs;

import gibbon.config.ExperimentConfig;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Builds the SparkSession a Gibbon command runs in, with the Iceberg catalog of the result tables.
 * Under spark-submit the master and Spark settings come from spark-submit; otherwise the config's
 * {@code spark.master} (default {@code local[*]}) applies, with the UI off and the driver bound to
 * 127.0.0.1 so that nothing listens beyond this machine.
 */
public final class GibbonSpark {
    /**
     * glibc settings of executors, as the gibbon launcher sets them for its own JVM: two arenas, and
     * libtorch's large per-batch buffers kept in the heap instead of being mapped, unmapped and
     * faulted in again on every allocation (up to 35 % of a sweep's time; docs/performance.md).
     */
    private static final Map<String, String> EXECUTOR_ENV = Map.of("MALLOC_ARENA_MAX", "2",
            "MALLOC_MMAP_THRESHOLD_", "268435456", "MALLOC_TRIM_THRESHOLD_", "1073741824");
    private static final String EXECUTOR_JAVA_OPTIONS = "spark.executor.extraJavaOptions";
    /** The JVM calls malloc_trim every 5 s; a JDK without the flag ignores it (Spark passes -XX:+IgnoreUnrecognizedVMOptions). */
    private static final String TRIM_NATIVE_HEAP = "-XX:TrimNativeHeapInterval=5000";

    private GibbonSpark() {}

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
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.executor.heartbeatInterval", "3s")
                .config("spark.sql.session.timeZone", "UTC");
        config.sparkConf().forEach(builder::config);
        // As the gibbon launcher does for its own JVM: executors keep freed buffers in glibc's heap
        // (EXECUTOR_ENV) and hand their pages back to the OS every 5 s, so that RSS does not climb
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
        config.hadoop().forEach((k, v) -> spark.sparkContext().hadoopConfiguration().set(k, v));
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
