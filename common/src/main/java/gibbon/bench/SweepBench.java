package gibbon.bench;

import gibbon.attack.AttackPlan;
import gibbon.attack.AttackSweep;
import gibbon.data.Example;
import gibbon.metrics.PredictionRecord;
import gibbon.model.Classifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Gibbon's epsilon sweep against the loop everyone writes first (torchattacks-style): every epsilon
 * its own full attack, every step run on every example, the clean forward pass repeated. The sweep
 * shares the clean pass, takes FGSM's gradient once for all budgets, and stops iterative attacks
 * on each example at its first fooling iterate.
 */
public final class SweepBench {
    private SweepBench() {}

    /** Wall time and robust accuracy per epsilon of one way of sweeping. */
    public record Timing(double seconds, Map<Double, Double> robustAccuracy) {}

    /** The whole sweep at once, as a run does it. */
    public static Timing sweep(Classifier model, AttackPlan plan, List<Example> examples, long seed, int batch) {
        long start = System.nanoTime();
        List<PredictionRecord> records = new ArrayList<>();
        new AttackSweep(model, List.of(plan), seed, batch).run(examples.iterator(), n -> { }).forEachRemaining(records::add);
        return new Timing((System.nanoTime() - start) / 1e9, accuracy(records));
    }

    /** One full attack per epsilon, each repeating the clean pass, every step on every example. */
    public static Timing perEpsilonLoop(Classifier model, AttackPlan plan, List<Example> examples, long seed, int batch) {
        long start = System.nanoTime();
        List<PredictionRecord> records = new ArrayList<>();
        Map<String, Object> params = new java.util.HashMap<>(plan.params().values());
        if (params.containsKey("early-stop")) {
            params.put("early-stop", false);
        }
        for (double epsilon : plan.epsilons()) {
            AttackPlan single = new AttackPlan(plan.label(), plan.type(), new gibbon.attack.AttackParams(params),
                    List.of(epsilon));
            new AttackSweep(model, List.of(single), seed, batch).run(examples.iterator(), n -> { })
                    .forEachRemaining(records::add);
        }
        return new Timing((System.nanoTime() - start) / 1e9, accuracy(records));
    }

    private static Map<Double, Double> accuracy(List<PredictionRecord> records) {
        Map<Double, long[]> counts = new TreeMap<>();
        for (PredictionRecord r : records) {
            long[] c = counts.computeIfAbsent(r.epsilon(), e -> new long[2]);
            c[0] += r.correct() ? 1 : 0;
            c[1]++;
        }
        Map<Double, Double> out = new TreeMap<>();
        counts.forEach((e, c) -> out.put(e, (double) c[0] / c[1]));
        return out;
    }
}
