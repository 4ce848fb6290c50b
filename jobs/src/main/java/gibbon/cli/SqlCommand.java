package gibbon.cli;

import gibbon.GibbonException;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.jobs.GibbonSpark;
import gibbon.jobs.QueryFormat;
import gibbon.jobs.ResultTables;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gibbon sql}: Spark SQL over the result tables. The plain names {@code runs},
 * {@code predictions} and {@code summary} resolve to the configured catalog and namespace. Only
 * the result goes to stdout; logs go to stderr.
 */
@Command(name = "sql", mixinStandardHelpOptions = true, description = "Query the result tables with Spark SQL.")
final class SqlCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "QUERY", description = "SQL, e.g. \"SELECT * FROM summary\".")
    String query;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (one object per line).")
    QueryFormat format;

    @Option(names = "--config", paramLabel = "CONFIG", description = "Config naming the catalog (default: conf/default.conf).")
    Path config = Path.of("conf", "default.conf");

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set output.warehouse=/data/wh.")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        ExperimentConfig experiment = ConfigLoader.load(config, overrides);
        SparkSession spark = GibbonSpark.session(experiment);
        ResultTables tables = new ResultTables(spark, experiment);
        tables.createIfMissing();
        spark.sql("USE " + experiment.catalog() + "." + experiment.namespace());
        Dataset<Row> result;
        List<Row> rows;
        try {
            result = spark.sql(query);
            rows = result.collectAsList();
        } catch (Exception e) {
            // Spark's AnalysisException (parse errors included) is checked in Java's eyes but never declared.
            if (e instanceof AnalysisException
                    || (e instanceof SparkThrowable t && t.getCondition() != null && !t.isInternalError())) {
                throw new GibbonException(GibbonException.Kind.QUERY, "query: " + firstLine(e.getMessage()), e);
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        System.out.print(format.render(result.schema(), rows));
        System.out.flush();
        return 0;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("").trim();
    }
}
