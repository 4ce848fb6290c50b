package gibbon.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import gibbon.data.Example;
import gibbon.metrics.PredictionRecord;
import gibbon.model.Classifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MinimalEpsilonTest {
    private static final List<Double> EPSILONS = List.of(0.0, 0.02, 0.05, 0.1, 0.2);

    private static AttackPlan plan(String type, String search, double precision) {
        Map<String, Object> params = new HashMap<>();
        AttackRegistry.find(type).orElseThrow().parameters().forEach(p -> params.put(p.name(), p.defaultValue()));
        params.put("steps", 5);
        return new AttackPlan(type, type, new AttackParams(params), EPSILONS, search, precision);
    }

    private static List<PredictionRecord> run(Classifier model, AttackPlan plan, List<Example> examples) {
        List<PredictionRecord> out = new ArrayList<>();
        new AttackSweep(model, List.of(plan), 5, 64).run(examples.iterator(), n -> { }).forEachRemaining(out::add);
        return out;
    }

    @Test
    void sweepMinimumIsTheFirstWrongEpsilon() {
        Classifier model = BundledModel.model();
        List<PredictionRecord> records = run(model, plan("pgd", AttackPlan.SWEEP, 0), BundledModel.examples(64));
        Map<Long, List<PredictionRecord>> byExample = new HashMap<>();
        records.forEach(r -> byExample.computeIfAbsent(r.exampleId(), k -> new ArrayList<>()).add(r));
        int fooled = 0;
        for (List<PredictionRecord> rows : byExample.values()) {
            double first = rows.stream().filter(r -> !r.correct()).mapToDouble(PredictionRecord::epsilon).min().orElse(Double.NaN);
            for (PredictionRecord r : rows) {
                assertEquals(first, r.minEpsilon(), 0.0, "example " + r.exampleId());
            }
            fooled += Double.isNaN(first) ? 0 : 1;
        }
        assertTrue(fooled > 50, "PGD at 0.2 fools nearly every example, got " + fooled);
    }

    @Test
    void bisectionNarrowsToThePrecisionAndStillFools() {
        Classifier model = BundledModel.model();
        List<Example> examples = BundledModel.examples(64);
        AttackPlan sweep = plan("fgsm", AttackPlan.SWEEP, 0);
        AttackPlan bisect = plan("fgsm", AttackPlan.BISECT, 0.002);
        Map<Long, Double> coarse = new HashMap<>();
        run(model, sweep, examples).forEach(r -> coarse.put(r.exampleId(), r.minEpsilon()));
        Map<Long, Double> fine = new HashMap<>();
        run(model, bisect, examples).forEach(r -> fine.put(r.exampleId(), r.minEpsilon()));
        double[] budgets = new double[examples.size()];
        double[] below = new double[examples.size()];
        int refined = 0;
        for (int i = 0; i < examples.size(); i++) {
            long id = examples.get(i).id();
            double c = coarse.get(id);
            double f = fine.get(id);
            if (Double.isNaN(c) || c == 0) {
                assertEquals(c, f, 0.0);
                budgets[i] = 0;
                continue;
            }
            double previous = EPSILONS.stream().filter(e -> e < c).mapToDouble(Double::doubleValue).max().orElse(0);
            assertTrue(f <= c && f > previous, id + ": bisected " + f + " outside (" + previous + ", " + c + "]");
            refined += f < c ? 1 : 0;
            budgets[i] = f;
            // Bisection halves (previous, c] until the bracket is at most the precision wide, so f ends
            // on that halving's grid and the grid point below it is a budget that did not fool.
            double width = c - previous;
            while (width > bisect.precision()) {
                width /= 2;
            }
            double steps = (f - previous) / width;
            assertEquals(Math.rint(steps), steps, 1e-6, id + ": " + f + " is not on the grid of width " + width
                    + " above " + previous + ": bisection stopped before the precision");
            below[i] = f - width;
        }
        assertTrue(refined > 10, "bisection refined only " + refined + " examples");
        Crafter attacker = new Crafter(model, 5);
        try (NDManager m = model.newBatchManager()) {
            NDArray x = BundledModel.images(m, examples);
            int[] predicted = model.logits(attacker.adversarial(bisect, x, BundledModel.labels(m, examples),
                    BundledModel.ids(examples), budgets)).argMax(1).toType(ai.djl.ndarray.types.DataType.INT32, false)
                    .toIntArray();
            for (int i = 0; i < examples.size(); i++) {
                if (budgets[i] > 0) {
                    assertNotEquals(examples.get(i).label(), predicted[i], "example " + examples.get(i).id()
                            + " not fooled at its minimal epsilon " + budgets[i]);
                }
            }
            int[] atBracketLow = model.logits(attacker.adversarial(bisect, x, BundledModel.labels(m, examples),
                    BundledModel.ids(examples), below)).argMax(1).toType(ai.djl.ndarray.types.DataType.INT32, false)
                    .toIntArray();
            for (int i = 0; i < examples.size(); i++) {
                if (budgets[i] > 0) {
                    assertEquals(examples.get(i).label(), atBracketLow[i], "example " + examples.get(i).id()
                            + " already fooled at " + below[i] + ", one precision below its minimal epsilon " + budgets[i]);
                }
            }
        }
    }
}
