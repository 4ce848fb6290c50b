package gibbon.cli;

import gibbon.GibbonException;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.jobs.RobustnessJob;
import gibbon.metrics.RobustAccuracy;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        RobustnessJob.Outcome outcome = new RobustnessJob(experiment, out, id, resume != null).run();
        out.println();
        out.printf("summary of run %s (%d examples, %.1f s)%n", outcome.runId(), outcome.examples(), outcome.seconds());
        printSummary(out, outcome.summary());
        return 0;
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
