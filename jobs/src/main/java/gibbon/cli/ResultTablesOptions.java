package gibbon.cli;

import gibbon.GibbonException;
import gibbon.Secrets;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.jobs.GibbonSpark;
import gibbon.jobs.ResultTables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What the commands that read the result tables ({@code sql}, {@code report}, {@code export})
 * share, as a picocli mixin: the config naming the catalog with its {@code --set} overrides, and
 * {@link #open()}, which loads it, says on stderr which catalog and warehouse it reads, starts the
 * session and opens the tables. The config is {@code --config}, else the file the environment
 * variable {@code GIBBON_CONFIG} names, else {@code conf/default.conf}.
 */
final class ResultTablesOptions {
    /** The environment variable naming the config when {@code --config} is not given. */
    static final String CONFIG_VARIABLE = "GIBBON_CONFIG";
    static final Path DEFAULT_CONFIG = Path.of("conf", "default.conf");

    /** Reads environment variables; tests replace it to set GIBBON_CONFIG in-process. */
    static UnaryOperator<String> environment = System::getenv;

    @Option(names = "--config", paramLabel = "CONFIG",
            description = "Config naming the catalog and warehouse (default: the file $" + CONFIG_VARIABLE
                    + " names, else conf/default.conf).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set output.warehouse=/data/wh.")
    List<String> overrides = new ArrayList<>();

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** The loaded config, its session, and the tables, made the session's current namespace. */
    record Opened(ExperimentConfig config, SparkSession spark, ResultTables tables) {}

    Opened open() {
        return open(UnaryOperator.identity());
    }

    /** As {@link #open()}, the loaded config first adjusted (e.g. with Spark settings a command needs). */
    Opened open(UnaryOperator<ExperimentConfig> adjust) {
        String fromEnvironment = environment.apply(CONFIG_VARIABLE);
        boolean environmentSet = fromEnvironment != null && !fromEnvironment.isBlank();
        Path chosen;
        String source;
        if (config != null) {
            chosen = config;
            source = environmentSet && !Path.of(fromEnvironment).equals(config)
                    ? "--config, over " + CONFIG_VARIABLE + "=" + fromEnvironment : "--config";
        } else if (environmentSet) {
            chosen = Path.of(fromEnvironment);
            source = CONFIG_VARIABLE;
            if (!Files.exists(chosen)) {
                throw GibbonException.config(CONFIG_VARIABLE + "=" + fromEnvironment + ": config file not found");
            }
        } else {
            chosen = DEFAULT_CONFIG;
            source = "default";
        }
        ExperimentConfig experiment = adjust.apply(ConfigLoader.load(chosen, overrides));
        System.err.println(Secrets.redact("gibbon " + command.name() + ": reading catalog " + experiment.catalog() + " ("
                + experiment.catalogType() + location(experiment) + "), warehouse " + experiment.warehouse()
                + ", namespace " + experiment.namespace() + "; config " + chosen + " (" + source + ")"));
        SparkSession spark = GibbonSpark.session(experiment);
        return new Opened(experiment, spark, ResultTables.open(spark, experiment));
    }

    /** Where a catalog other than the warehouse's own files keeps its metadata. */
    private static String location(ExperimentConfig experiment) {
        String uri = experiment.catalogProperties().get("uri");
        return uri == null ? "" : " at " + uri;
    }
}
