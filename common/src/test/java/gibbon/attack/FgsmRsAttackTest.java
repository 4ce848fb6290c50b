package gibbon.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import gibbon.data.Example;
import gibbon.metrics.PredictionRecord;
import gibbon.model.Classifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * FGSM with a random start, the attack added to prove that an attack is one class and one registry
 * line: the crafter keeps it in its ball, and it costs the bundled model far more accuracy than
 * noise of the same size.
 */
class FgsmRsAttackTest {
    private static final double EPS = 0.1;

    @Test
    void staysInTheBallAndLowersAccuracyFarBelowNoise() {
        Classifier model = BundledModel.model();
        List<Example> batch = BundledModel.examples(200);
        AttackPlan rs = AttackSuiteTest.plan("fgsm_rs", Map.of(), 0, EPS);
        List<PredictionRecord> rows = sweep(model, rs, batch);
        assertEquals(2 * batch.size(), rows.size());
        double clean = accuracy(rows, 0);
        double attacked = accuracy(rows, EPS);
        double noise = accuracy(sweep(model, AttackSuiteTest.plan("noise", Map.of(), EPS), batch), EPS);
        System.out.printf("200 examples at %.1f: clean %.3f, noise %.3f, fgsm_rs %.3f%n", EPS, clean, noise, attacked);
        assertTrue(attacked < noise - 0.3, "FGSM-RS " + attacked + " vs noise " + noise + " (clean " + clean + ")");
        for (PredictionRecord r : rows) {
            assertTrue(r.linf() <= r.epsilon() + 1e-6, "row at " + r.epsilon() + " has L-infinity " + r.linf());
        }
        try (NDManager m = model.newBatchManager()) {
            NDArray x = BundledModel.images(m, batch);
            double[] budgets = new double[batch.size()];
            Arrays.fill(budgets, EPS);
            NDArray adv = new Crafter(model, 3).adversarial(rs, x, BundledModel.labels(m, batch), BundledModel.ids(batch),
                    budgets);
            assertTrue(adv.min().getFloat() >= 0f && adv.max().getFloat() <= 1f, "leaves [0, 1]");
            float[] sizes = Norm.LINF.perExample(adv.sub(x)).toFloatArray();
            for (float s : sizes) {
                assertTrue(s <= EPS + 1e-6f, "perturbation " + s + " exceeds " + EPS);
            }
        }
    }

    @Test
    void theRandomStartMakesItDifferFromFgsmAndTheSeedMakesItRepeat() {
        Classifier model = BundledModel.model();
        List<Example> batch = BundledModel.examples(64);
        try (NDManager m = model.newBatchManager()) {
            NDArray x = BundledModel.images(m, batch);
            NDArray y = BundledModel.labels(m, batch);
            double[] budgets = new double[batch.size()];
            Arrays.fill(budgets, EPS);
            Crafter crafter = new Crafter(model, 3);
            AttackPlan rs = AttackSuiteTest.plan("fgsm_rs", Map.of(), EPS);
            NDArray once = crafter.adversarial(rs, x, y, BundledModel.ids(batch), budgets);
            NDArray again = new Crafter(model, 3).adversarial(rs, x, y, BundledModel.ids(batch), budgets);
            NDArray otherSeed = new Crafter(model, 4).adversarial(rs, x, y, BundledModel.ids(batch), budgets);
            NDArray fgsm = crafter.adversarial(AttackSuiteTest.plan("fgsm", Map.of(), EPS), x, y, BundledModel.ids(batch),
                    budgets);
            assertArrayEquals(once.toFloatArray(), again.toFloatArray(), "same seed, same adversarials");
            assertTrue(once.sub(otherSeed).abs().max().getFloat() > 0.01f, "the start depends on the run seed");
            assertTrue(once.sub(fgsm).abs().max().getFloat() > 0.01f, "FGSM-RS equals FGSM");
        }
    }

    private static List<PredictionRecord> sweep(Classifier model, AttackPlan plan, List<Example> batch) {
        List<PredictionRecord> out = new ArrayList<>();
        new AttackSweep(model, List.of(plan), 3, 100).run(batch.iterator(), n -> { }).forEachRemaining(out::add);
        return out;
    }

    private static double accuracy(List<PredictionRecord> rows, double epsilon) {
        return rows.stream().filter(r -> r.epsilon() == epsilon).filter(PredictionRecord::correct).count()
                / (double) rows.stream().filter(r -> r.epsilon() == epsilon).count();
    }
}
