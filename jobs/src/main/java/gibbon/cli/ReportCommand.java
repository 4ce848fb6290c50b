package gibbon.cli;

import gibbon.jobs.AnalystViews;
import gibbon.jobs.RobustnessReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gibbon report}: a notebook, an HTML page and figures for one run, or several compared. */
@Command(name = "report", mixinStandardHelpOptions = true, description = {
    "Write report.ipynb (outputs embedded), report.html and the figures of a run to OUT/<run id>/,",
    "or of several runs compared on one plot to OUT/compare-<ids>/."})
final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "RUN_ID", description = "Runs to report (default: latest, the most recent successful run).")
    List<String> runs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "Folder the report folders go to (default: notebooks-export).")
    Path out = Path.of("notebooks-export");

    @Option(names = "--epsilon", paramLabel = "EPS", description = "L-infinity budget of the per-class figure and the example grid (default: where attacks leave about half the clean accuracy).")
    Double linfEpsilon;

    @Option(names = "--l2-epsilon", paramLabel = "EPS", description = "The same for L2 attacks.")
    Double l2Epsilon;

    @Mixin
    ResultTablesOptions results;

    @Override
    public Integer call() {
        ResultTablesOptions.Opened opened = results.open();
        SparkSession spark = opened.spark();
        AnalystViews.register(spark, null);
        List<String> ids = (runs.isEmpty() ? List.of(AnalystViews.LATEST) : runs).stream()
                .map(r -> AnalystViews.resolveRun(spark, opened.tables(), r)).distinct().toList();
        Map<String, Double> epsilons = new LinkedHashMap<>();
        if (linfEpsilon != null) {
            epsilons.put("linf", linfEpsilon);
        }
        if (l2Epsilon != null) {
            epsilons.put("l2", l2Epsilon);
        }
        RobustnessReport.Written written = new RobustnessReport(spark, opened.config()).write(ids, out, epsilons);
        System.out.println("report: " + written.folder());
        written.files().forEach(f -> System.out.println("  " + written.folder().relativize(f)));
        return 0;
    }
}
