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
 * shares the clean pass, takes FGSM's gradient once for all budgets, stops iterative attacks on
 * each example at its first fooling iterate, and attacks each larger budget only on the examples
 * the smaller ones left unbroken. The last two can only lower robust accuracy, so the timings come
 * with the number of examples each way classifies correctly at each epsilon.
 */
public final class SweepBench {
    private SweepBench() {}

    /**
     * Wall time of one way of sweeping and, per epsilon, how many of its examples it left correctly
     * classified.
     */
    public record Timing(double seconds, Map<Double, Long> correct, int examples) {
        public double robustAccuracy(double epsilon) {
            return (double) correct.get(epsilon) / examples;
        }
    }

    /** The whole sweep at once, as a run does it. */
    public static Timing sweep(Classifier model, AttackPlan plan, List<Example> examples, long seed, int batch) {
        long start = System.nanoTime();
        List<PredictionRecord> records = new ArrayList<>();
        new AttackSweep(model, List.of(plan), seed, batch).run(examples.iterator(), n -> { }).forEachRemaining(records::add);
        return new Timing((System.nanoTime() - start) / 1e9, correct(records), examples.size());
    }

    /** One full attack per epsilon, each repeating the clean pass, every step on every example. */
    public static Timing perEpsilonLoop(Classifier model, AttackPlan plan, List<Example> examples, long seed, int batch) {
        long start = System.nanoTime();
        List<PredictionRecord> records = new ArrayList<>();
        Map<String, Object> params = new java.util.HashMap<>(plan.params().values());
        // The per-epsilon loop neither stops early nor carries examples over (one epsilon at a time).
        if (plan.attackType().parameters().stream().anyMatch(p -> p.name().equals("early-stop"))) {
            params.put("early-stop", false);
        }
        for (double epsilon : plan.epsilons()) {
            AttackPlan single = new AttackPlan(plan.label(), plan.type(), new gibbon.attack.AttackParams(params),
                    List.of(epsilon));
            new AttackSweep(model, List.of(single), seed, batch).run(examples.iterator(), n -> { })
                    .forEachRemaining(records::add);
        }
        return new Timing((System.nanoTime() - start) / 1e9, correct(records), examples.size());
    }

    private static Map<Double, Long> correct(List<PredictionRecord> records) {
        Map<Double, Long> out = new TreeMap<>();
        for (PredictionRecord r : records) {
            out.merge(r.epsilon(), r.correct() ? 1L : 0L, Long::sum);
        }
        return out;
    }
}
