package gibbon.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The work a sweep saves must not change what it measures: FGSM's one gradient for all budgets
 * gives the per-budget results exactly, and early stopping and carrying broken examples over to
 * larger budgets keep every fooled example fooled while spending fewer gradient evaluations.
 */
class SharedWorkTest {
    private static Classifier model;
    private static List<Example> examples;

    @BeforeAll
    static void load() {
        model = BundledModel.model();
        examples = BundledModel.examples(256);
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
                    NDArray adv = pgd.craft(counting, x, y, eps, ExampleRandom.of(5, BundledModel.ids(examples), "pgd", e))
                            .adversarial();
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

    /** A sweep of one plan against a gradient-counting model, every example's adversarial kept. */
    private static List<PredictionRecord> sweep(AttackPlan plan, CountingModel counting) {
        List<PredictionRecord> out = new ArrayList<>();
        new AttackSweep(model, counting, List.of(plan), 5, 128, new AdversarialSample(5, 1.0))
                .run(examples.iterator(), n -> { }).forEachRemaining(out::add);
        return out;
    }

    private static Map<String, PredictionRecord> byExampleAndEpsilon(List<PredictionRecord> records) {
        Map<String, PredictionRecord> out = new HashMap<>();
        records.forEach(r -> out.put(r.exampleId() + "@" + r.epsilon(), r));
        return out;
    }

    @ParameterizedTest
    @CsvSource({"pgd, LINF, none", "pgd, LINF, least-likely", "pgd_l2, L2, none", "mifgsm, LINF, none"})
    void carryOverKeepsBrokenExamplesBrokenWithFewerGradients(String type, Norm norm, String target) {
        List<Double> epsilons = norm == Norm.LINF ? List.of(0.0, 0.01, 0.02, 0.05, 0.1) : List.of(0.0, 0.25, 0.5, 1.0);
        Map<Boolean, List<PredictionRecord>> rows = new HashMap<>();
        Map<Boolean, Long> gradients = new HashMap<>();
        for (boolean carry : List.of(false, true)) {
            Map<String, Object> params = new HashMap<>(Map.of("steps", 10, "carry-over", carry));
            if (!target.equals("none")) {
                params.put("target", target);
            }
            CountingModel counting = new CountingModel(model);
            rows.put(carry, sweep(plan(type, params, epsilons), counting));
            gradients.put(carry, counting.rows);
        }
        Map<String, PredictionRecord> apart = byExampleAndEpsilon(rows.get(false));
        Map<String, PredictionRecord> carried = byExampleAndEpsilon(rows.get(true));
        long carriedRows = 0;
        for (int k = 1; k < epsilons.size(); k++) {
            double e = epsilons.get(k);
            long right = rows.get(true).stream().filter(r -> r.epsilon() == e && r.correct()).count();
            long rightApart = rows.get(false).stream().filter(r -> r.epsilon() == e && r.correct()).count();
            assertTrue(right <= rightApart, type + " at " + e + ": " + right + " right with carry-over, " + rightApart
                    + " without");
            for (Example ex : examples) {
                PredictionRecord now = carried.get(ex.id() + "@" + e);
                float size = norm == Norm.LINF ? now.linf() : now.l2();
                assertTrue(size <= e + 1e-5, type + " row outside its ball: " + size + " at " + e);
                if (k == 1) {
                    // The smallest budget is attacked on every example, exactly as without carry-over.
                    assertArrayEquals(apart.get(ex.id() + "@" + e).adversarial(), now.adversarial());
                    continue;
                }
                PredictionRecord before = carried.get(ex.id() + "@" + epsilons.get(k - 1));
                boolean broken = target.equals("none") ? !before.correct() : before.targetHit();
                if (broken) {
                    carriedRows++;
                    assertArrayEquals(before.adversarial(), now.adversarial(), "carried input");
                    assertEquals(before.predicted(), now.predicted());
                    assertEquals(before.confidence(), now.confidence());
                    assertEquals(before.linf(), now.linf());
                    assertEquals(before.l2(), now.l2());
                    assertEquals(before.target(), now.target());
                    assertTrue(target.equals("none") ? !now.correct() : now.targetHit(), "carried row still broken");
                }
            }
        }
        assertTrue(carriedRows > 0, "no row carried over");
        assertStillBroken(rows.get(true), target.equals("none"));
        long saved = gradients.get(false) - gradients.get(true);
        System.out.printf("%s (target %s): carry-over spent %d of %d image-gradients (%.0f %% saved), %d rows carried%n",
                type, target, gradients.get(true), gradients.get(false), 100.0 * saved / gradients.get(false), carriedRows);
        // Unbroken examples are attacked exactly as before; a carried row saves at least the gradient
        // whose forward pass would have found it fooled, and all its steps where nothing stops early.
        if (type.equals("mifgsm")) {
            assertEquals(10 * carriedRows, saved);
        } else {
            assertTrue(saved >= carriedRows, "saved " + saved + " image-gradients on " + carriedRows + " carried rows");
        }
    }

    /** Judged again from their stored inputs, the fooled rows are still fooled (hit their target). */
    private static void assertStillBroken(List<PredictionRecord> records, boolean untargeted) {
        List<PredictionRecord> broken = records.stream()
                .filter(r -> r.epsilon() > 0 && (untargeted ? !r.correct() : r.targetHit())).toList();
        float[] values = new float[broken.size() * 784];
        for (int i = 0; i < broken.size(); i++) {
            System.arraycopy(broken.get(i).adversarial(), 0, values, i * 784, 784);
        }
        try (NDManager m = model.newBatchManager()) {
            int[] predicted = Rows.argMax(model.logits(m.create(values, new Shape(broken.size(), 1, 28, 28))));
            for (int i = 0; i < broken.size(); i++) {
                PredictionRecord r = broken.get(i);
                assertTrue(untargeted ? predicted[i] != r.label() : predicted[i] == r.target(),
                        "example " + r.exampleId() + " at " + r.epsilon() + " is no longer broken");
            }
        }
    }

    @Test
    void carryOverRerunGivesIdenticalRows() {
        AttackPlan pgd = plan("pgd", Map.of("steps", 10, "target", "random"), List.of(0.0, 0.02, 0.05, 0.1));
        List<PredictionRecord> first = sweep(pgd, new CountingModel(model));
        List<PredictionRecord> second = sweep(pgd, new CountingModel(model));
        assertEquals(first.size(), second.size());
        for (int i = 0; i < first.size(); i++) {
            PredictionRecord a = first.get(i);
            PredictionRecord b = second.get(i);
            assertArrayEquals(a.adversarial(), b.adversarial());
            assertEquals(withoutInput(a), withoutInput(b));
        }
    }

    private static PredictionRecord withoutInput(PredictionRecord r) {
        return new PredictionRecord(r.exampleId(), r.label(), r.attack(), r.norm(), r.epsilon(), r.predicted(),
                r.correct(), r.confidence(), r.trueClassProb(), r.linf(), r.l2(), r.cleanCorrect(), r.minEpsilon(),
                r.target(), r.targetHit(), r.brokenBy(), null);
    }

    @Test
    void oneShotMethodsAndOptedOutAttacksDoNotCarryOver() {
        assertEquals(Attack.Carry.NONE, plan("fgsm", Map.of(), List.of(0.1)).create().carry());
        assertEquals(Attack.Carry.NONE, plan("noise", Map.of(), List.of(0.1)).create().carry());
        assertEquals(Attack.Carry.NONE, plan("pgd", Map.of("carry-over", false), List.of(0.1)).create().carry());
        assertEquals(Attack.Carry.TARGET_HIT, plan("bim", Map.of("target", "3"), List.of(0.1)).create().carry());
        for (String type : List.of("bim", "pgd", "pgd_l2", "mifgsm", "apgd_ce", "apgd_dlr", "apgd_t", "square",
                "autoattack", "autoattack_l2")) {
            assertEquals(Attack.Carry.MISCLASSIFIED, plan(type, Map.of(), List.of(0.1)).create().carry(), type);
        }
    }
}
