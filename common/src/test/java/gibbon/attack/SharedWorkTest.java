package gibbon.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The work a sweep saves must not change what it measures: FGSM's one gradient for all budgets
 * gives the per-budget results exactly, and early stopping keeps every fooled example fooled while
 * spending fewer gradient evaluations.
 */
class SharedWorkTest {
    private static Classifier model;
    private static List<Example> examples;

    @BeforeAll
    static void load() {
        model = BundledModel.model();
        examples = BundledModel.examples(512);
    }

    private static AttackPlan plan(String type, Map<String, Object> params, List<Double> epsilons) {
        return new AttackPlan(type, type, new AttackParams(params), epsilons);
    }

    private static Map<String, PredictionRecord> records(List<AttackPlan> plans) {
        Map<String, PredictionRecord> out = new HashMap<>();
        for (AttackPlan p : plans) {
            new AttackSweep(model, List.of(p), 5, 128).run(examples.iterator(), n -> { })
                    .forEachRemaining(r -> out.put(r.exampleId() + "@" + r.epsilon(), r));
        }
        return out;
    }

    @Test
    void fgsmSweepEqualsOneAttackPerEpsilon() {
        List<Double> epsilons = List.of(0.0, 0.01, 0.05, 0.1, 0.3);
        Map<String, PredictionRecord> swept = records(List.of(plan("fgsm", Map.of(), epsilons)));
        List<AttackPlan> single = new ArrayList<>();
        epsilons.forEach(e -> single.add(plan("fgsm", Map.of(), List.of(e))));
        Map<String, PredictionRecord> apart = records(single);
        assertEquals(apart.size(), swept.size());
        apart.forEach((key, r) -> {
            PredictionRecord s = swept.get(key);
            assertEquals(r.predicted(), s.predicted(), key);
            assertEquals(r.confidence(), s.confidence(), 1e-6f, key);
            assertEquals(r.linf(), s.linf(), 1e-6f, key);
        });
    }

    @Test
    void earlyStoppingKeepsFooledExamplesFooledWithFewerGradients() {
        List<Double> epsilons = List.of(0.02, 0.05, 0.1);
        Map<Boolean, Map<Double, Long>> correct = new HashMap<>();
        Map<Boolean, Long> rowsTimesSteps = new HashMap<>();
        for (boolean early : List.of(false, true)) {
            CountingModel counting = new CountingModel(model);
            Attack pgd = AttackRegistry.find("pgd").orElseThrow().create(new AttackParams(Map.of("steps", 10,
                    "early-stop", early)));
            Map<Double, Long> byEpsilon = new TreeMap<>();
            try (NDManager m = model.newBatchManager()) {
                NDArray x = BundledModel.images(m, examples);
                NDArray y = BundledModel.labels(m, examples);
                int[] labels = y.toIntArray();
                for (double e : epsilons) {
                    NDArray eps = m.full(new ai.djl.ndarray.types.Shape(examples.size(), 1, 1, 1), (float) e);
                    NDArray adv = pgd.perturb(counting, x, y, eps, ExampleRandom.of(5, BundledModel.ids(examples), "pgd", e));
                    NDArray delta = adv.sub(x);
                    assertTrue(Norm.LINF.perExample(delta).max().getFloat() <= e + 1e-5, "inside the ball");
                    int[] predicted = model.logits(adv).argMax(1).toType(ai.djl.ndarray.types.DataType.INT32, false).toIntArray();
                    long right = 0;
                    for (int i = 0; i < labels.length; i++) {
                        right += predicted[i] == labels[i] ? 1 : 0;
                    }
                    byEpsilon.put(e, right);
                }
            }
            correct.put(early, byEpsilon);
            rowsTimesSteps.put(early, counting.rows);
        }
        for (double e : epsilons) {
            long full = correct.get(false).get(e);
            long early = correct.get(true).get(e);
            assertTrue(early <= full, "at " + e + " early stopping left " + early + " right, all steps " + full);
            assertTrue(full - early <= examples.size() / 50, "early stopping may only add the rare recovered example");
        }
        assertEquals(3L * 10 * examples.size(), rowsTimesSteps.get(false));
        assertTrue(rowsTimesSteps.get(true) < rowsTimesSteps.get(false) * 0.7,
                "early stopping spent " + rowsTimesSteps.get(true) + " of " + rowsTimesSteps.get(false) + " image-gradients");
    }

    /** Counts the images that pass through gradient computations. */
    private static final class CountingModel implements TargetModel {
        private final Classifier inner;
        long rows;

        CountingModel(Classifier inner) {
            this.inner = inner;
        }

        @Override
        public NDArray logits(NDArray x) {
            return inner.logits(x);
        }

        @Override
        public NDArray lossGradient(NDArray x, NDArray labels) {
            rows += x.getShape().get(0);
            return inner.lossGradient(x, labels);
        }

        @Override
        public Gradient gradient(NDArray x, LogitLoss loss) {
            rows += x.getShape().get(0);
            return inner.gradient(x, loss);
        }
    }
}
