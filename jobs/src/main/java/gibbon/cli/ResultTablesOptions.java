package gibbon.cli;

import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.jobs.GibbonSpark;
import gibbon.jobs.ResultTables;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/**
 * What the commands that read the result tables ({@code sql}, {@code report}, {@code export})
 * share, as a picocli mixin: the config naming the catalog with its {@code --set} overrides, and
 * {@link #open()}, which loads it, starts the session and opens the tables.
 */
final class ResultTablesOptions {
    @Option(names = "--config", paramLabel = "CONFIG", description = "Config naming the catalog (default: conf/default.conf).")
    Path config = Path.of("conf", "default.conf");

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set output.warehouse=/data/wh.")
    List<String> overrides = new ArrayList<>();

    /** The loaded config, its session, and the tables, made the session's current namespace. */
    record Opened(ExperimentConfig config, SparkSession spark, ResultTables tables) {}

    Opened open() {
        ExperimentConfig experiment = ConfigLoader.load(config, overrides);
        SparkSession spark = GibbonSpark.session(experiment);
        return new Opened(experiment, spark, ResultTables.open(spark, experiment));
    }
}
