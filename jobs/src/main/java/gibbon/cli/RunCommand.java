package gibbon.cli;

import gibbon.GibbonException;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.jobs.RobustnessJob;
import gibbon.metrics.RobustAccuracy;
import java.io.PrintStream;
import java.nio.file.Path;
import gibbon.model.ClassifierCache;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gibbon run}: runs an experiment and prints its summary. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a robustness sweep: attack every example at every epsilon, write the result tables, print the summary.")
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG", description = "Experiment config (default: conf/default.conf).")
    Path config = Path.of("conf", "default.conf");

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a config key, e.g. --set dataset.limit=500 --set attacks.pgd.steps=40.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--run-id", paramLabel = "ID",
            description = "Run under this id; rerunning a crashed run's id replaces its rows (default: a new id).")
    String runId;

    @Option(names = "--resume", paramLabel = "ID",
            description = "Resume an interrupted run (same config and --set options): attacks it finished are kept.")
    String resume;

    @Override
    public Integer call() {
        if (resume != null && runId != null && !resume.equals(runId)) {
            throw GibbonException.config("--resume " + resume + " and --run-id " + runId + " name different runs");
        }
        String id = resume != null ? resume : runId;
        if (id != null && !id.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw GibbonException.config("run id '" + id + "': use 1-64 letters, digits, '_', '.' or '-'");
        }
        ExperimentConfig experiment = ConfigLoader.load(config, overrides);
        PrintStream out = System.out;
        if (experiment.manyModels()) {
            printJob(out, new RobustnessJob(experiment, out, id, resume != null).runJob());
            return 0;
        }
        RobustnessJob.Outcome outcome = new RobustnessJob(experiment, out, id, resume != null).run();
        out.println();
        out.printf("summary of run %s (%d examples, %.1f s)%n", outcome.runId(), outcome.examples(), outcome.seconds());
        printSummary(out, outcome.summary());
        return 0;
    }

    /**
     * The summary of a job of several models: each model's run id, time and model loads per
     * executor, the model cache's budget and peak, then robust accuracy with a column per model.
     */
    static void printJob(PrintStream out, RobustnessJob.JobOutcome job) {
        out.println();
        out.printf(Locale.ROOT, "summary of %d runs (%d examples, %d read from the dataset, %.1f s)%n", job.runs().size(),
                job.examples(), job.examplesRead(), job.seconds());
        int width = Math.max(10, job.runs().stream().mapToInt(r -> r.name().length()).max().orElse(0));
        out.printf(Locale.ROOT, "%-" + width + "s %-22s %8s  %s%n", "model", "run", "seconds", "model loads per executor");
        for (RobustnessJob.ModelRun r : job.runs()) {
            String loads = r.loads().entrySet().stream().map(e -> executor(e.getKey()) + ": " + e.getValue())
                    .collect(Collectors.joining(", "));
            out.printf(Locale.ROOT, "%-" + width + "s %-22s %8.1f  %s%n", r.name(), r.outcome().runId(),
                    r.outcome().seconds(), loads);
        }
        String peaks = job.peakCacheBytes().entrySet().stream()
                .map(e -> executor(e.getKey()) + ": " + e.getValue() + " bytes (" + ClassifierCache.mib(e.getValue()) + ")")
                .collect(Collectors.joining(", "));
        out.printf(Locale.ROOT, "model cache: budget %s; peak %s%n", job.cacheBudget() == 0 ? "none (sweep.model-cache-bytes = 0)"
                : job.cacheBudget() + " bytes (" + ClassifierCache.mib(job.cacheBudget()) + ")", peaks);
        out.println();
        Map<String, Map<String, Double>> accuracy = new TreeMap<>();
        Map<String, RobustAccuracy> rows = new TreeMap<>();
        for (RobustnessJob.ModelRun r : job.runs()) {
            for (RobustAccuracy s : r.outcome().summary()) {
                String key = String.format(Locale.ROOT, "%s %020.6f", s.attack(), s.epsilon());
                rows.putIfAbsent(key, s);
                accuracy.computeIfAbsent(key, k -> new HashMap<>()).put(r.name(), s.robustAccuracy());
            }
        }
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-10s %-5s %8s", "robust_acc", "norm",
                "epsilon"));
        job.runs().forEach(r -> header.append(String.format(Locale.ROOT, " %" + width + "s", r.name())));
        out.println(header);
        for (Map.Entry<String, RobustAccuracy> row : rows.entrySet()) {
            RobustAccuracy s = row.getValue();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-10s %-5s %8.3f", s.attack(), s.norm(),
                    s.epsilon()));
            for (RobustnessJob.ModelRun r : job.runs()) {
                Double a = accuracy.get(row.getKey()).get(r.name());
                line.append(a == null ? String.format(Locale.ROOT, " %" + width + "s", "-")
                        : String.format(Locale.ROOT, " %" + width + ".4f", a));
            }
            out.println(line);
        }
        out.flush();
    }

    /** An executor as the summary names it: {@code driver} (local mode) or {@code executor N}. */
    private static String executor(String id) {
        return id.equals("driver") ? id : "executor " + id;
    }

    static void printSummary(PrintStream out, List<RobustAccuracy> summary) {
        out.printf("%-10s %-5s %8s %11s %8s %17s %9s%n", "attack", "norm", "epsilon", "robust_acc", "drop",
                "95% interval", "success");
        for (RobustAccuracy s : summary) {
            out.printf("%-10s %-5s %8.3f %11.4f %8.4f   [%.4f, %.4f] %9.4f%n", s.attack(), s.norm(), s.epsilon(),
                    s.robustAccuracy(), s.accuracyDrop(), s.ciLow(), s.ciHigh(), s.attackSuccessRate());
        }
        out.flush();
    }
}
