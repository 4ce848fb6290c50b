package gibbon.jobs;

import gibbon.config.ExperimentConfig;
import gibbon.config.SparkSettings;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connect.service.SparkConnectService;
import org.apache.spark.sql.connect.service.SparkConnectService$;
import scala.Option;

/**
 * A Spark Connect server (gRPC, {@code sc://HOST:PORT}) over the result tables: {@code gibbon serve}.
 * Each client gets its own session of the server's Spark, where the configured catalog is the
 * default one, its namespace the current one, and {@link ServedSessions} answers the analyst views
 * and, read-only, refuses writes.
 */
public final class ConnectServer {
    /** Spark Connect's own default port. */
    public static final int DEFAULT_PORT = 15002;
    /**
     * The pre-shared token Spark Connect requires of clients when set, as a Spark setting or in
     * the environment (Spark reads both).
     */
    public static final String TOKEN_SETTING = "spark.connect.authenticate.token";
    public static final String TOKEN_VARIABLE = "SPARK_CONNECT_AUTHENTICATE_TOKEN";

    private static final String EXTENSIONS = "spark.sql.extensions";
    /** GibbonSpark's extensions, which a user's own spark.sql.extensions replaces. */
    private static final String ICEBERG_EXTENSIONS = "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions";

    private ConnectServer() {}

    /**
     * The config with the Spark settings a served session needs. They are settings of the whole
     * Spark application, not of Gibbon's own session, because Spark Connect gives every client a
     * new session, which starts from them: the catalog (default catalog, its namespace the default
     * one), {@link ServedSessions}, and where the server listens.
     */
    public static ExperimentConfig served(ExperimentConfig config, String host, int port) {
        Map<String, String> spark = new TreeMap<>(config.sparkConf());
        spark.putAll(ResultCatalog.sessionSettings(config));
        spark.put("spark.sql.catalog." + config.catalog() + ".default-namespace", config.namespace());
        spark.put("spark.sql.defaultCatalog", config.catalog());
        spark.put(EXTENSIONS, spark.getOrDefault(EXTENSIONS, ICEBERG_EXTENSIONS) + "," + ServedSessions.class.getName());
        spark.put("spark.connect.grpc.binding.address", host);
        spark.put("spark.connect.grpc.binding.port", String.valueOf(port));
        return config.withSpark(new SparkSettings(config.sparkMaster(), Map.copyOf(spark)));
    }

    /**
     * Starts the server in the application of a session made from {@link #served}; read-only, every
     * session refuses writes from now on.
     *
     * @return the port it listens on (a free one when {@link #served} was given 0)
     */
    public static int start(SparkSession spark, boolean readOnly) {
        if (readOnly) {
            ServedSessions.guard();
        }
        SparkConnectService.start(spark.sparkContext());
        return SparkConnectService$.MODULE$.localPort();
    }

    /** Waits until the server stops ({@link #stop}). */
    public static void awaitTermination() throws InterruptedException {
        SparkConnectService$.MODULE$.server().awaitTermination();
    }

    /** Stops the server, giving running requests a few seconds. */
    public static void stop() {
        SparkConnectService.stop(Option.<Object>apply(5L), Option.apply(TimeUnit.SECONDS));
    }
}
