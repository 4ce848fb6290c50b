package gibbon.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import gibbon.data.Example;
import gibbon.metrics.PredictionRecord;
import gibbon.model.Classifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AttackSweepTest {
    private static Classifier model;
    private static List<Example> examples;

    @BeforeAll
    static void load() {
        model = BundledModel.model();
        examples = BundledModel.examples(1000);
    }

    private static AttackPlan plan(String type, double... epsilons) {
        AttackType t = AttackRegistry.find(type).orElseThrow();
        Map<String, Object> params = new java.util.HashMap<>();
        t.parameters().forEach(p -> params.put(p.name(), p.defaultValue()));
        return new AttackPlan(type, type, new AttackParams(params),
                java.util.Arrays.stream(epsilons).boxed().toList());
    }

    private static List<PredictionRecord> sweep(List<AttackPlan> plans, List<Example> batch, int batchSize) {
        List<PredictionRecord> out = new ArrayList<>();
        new AttackSweep(model, plans, 7, batchSize).run(batch.iterator(), n -> { }).forEachRemaining(out::add);
        return out;
    }

    private static double accuracy(List<PredictionRecord> records) {
        return records.stream().filter(PredictionRecord::correct).count() / (double) records.size();
    }

    /**
     * The fixed-budget attacks at their defaults, which should use much of their ball;
     * AttackSuiteTest runs every registered attack, minimal-norm ones included, on small budgets.
     */
    static List<String> attackNames() {
        return List.of("fgsm", "bim", "pgd", "pgd_l2", "noise", "mifgsm");
    }

    @ParameterizedTest
    @MethodSource("attackNames")
    void everyAttackStaysInItsBallAndInTheUnitRange(String name) {
        AttackType type = AttackRegistry.find(name).orElseThrow();
        float eps = type.norm() == Norm.LINF ? 0.1f : 1.0f;
        Crafter crafter = new Crafter(model, 3);
        List<Example> batch = examples.subList(0, 64);
        try (NDManager m = model.newBatchManager()) {
            NDArray x = BundledModel.images(m, batch);
            double[] budgets = new double[batch.size()];
            java.util.Arrays.fill(budgets, eps);
            NDArray adv = crafter.adversarial(plan(name, eps), x, BundledModel.labels(m, batch), BundledModel.ids(batch),
                    budgets);
            assertTrue(adv.min().getFloat() >= 0f && adv.max().getFloat() <= 1f, name + " leaves [0, 1]");
            float[] sizes = type.norm().perExample(adv.sub(x)).toFloatArray();
            for (float s : sizes) {
                assertTrue(s <= eps + 1e-5f, name + " perturbation " + s + " exceeds epsilon " + eps);
            }
            assertTrue(max(sizes) > eps * 0.5f, name + " barely perturbs: " + max(sizes));
        }
        List<PredictionRecord> rows = sweep(List.of(plan(name, 0.0, eps)), batch, 64);
        assertEquals(2 * batch.size(), rows.size(), name + ": one row per example and epsilon");
        for (PredictionRecord r : rows) {
            float size = type.norm() == Norm.LINF ? r.linf() : r.l2();
            assertTrue(size <= r.epsilon() + 1e-5, name + " row size " + size + " at epsilon " + r.epsilon());
        }
    }

    private static float max(float[] values) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    @Test
    void epsilonZeroIsTheCleanPrediction() {
        List<Example> batch = examples.subList(0, 100);
        List<PredictionRecord> records = sweep(List.of(plan("fgsm", 0), plan("pgd", 0), plan("pgd_l2", 0),
                plan("noise", 0)), batch, 100);
        int[] clean;
        try (NDManager m = model.newBatchManager()) {
            clean = model.logits(BundledModel.images(m, batch)).argMax(1).toType(ai.djl.ndarray.types.DataType.INT32, false)
                    .toIntArray();
        }
        assertEquals(400, records.size());
        for (PredictionRecord r : records) {
            assertEquals(clean[(int) r.exampleId()], r.predicted());
            assertEquals(0f, r.linf());
            assertEquals(0f, r.l2());
            assertEquals(r.cleanCorrect(), r.correct());
        }
    }

    @Test
    void fgsmRaisesTheLoss() {
        List<Example> batch = examples.subList(0, 256);
        try (NDManager m = model.newBatchManager()) {
            NDArray x = BundledModel.images(m, batch);
            NDArray y = BundledModel.labels(m, batch);
            Crafter crafter = new Crafter(model, 1);
            double[] budgets = new double[256];
            java.util.Arrays.fill(budgets, 0.05);
            NDArray adv = crafter.adversarial(plan("fgsm", 0.05), x, y, BundledModel.ids(batch), budgets);
            float clean = Classifier.crossEntropy(model.logits(x), y).getFloat();
            float attacked = Classifier.crossEntropy(model.logits(adv), y).getFloat();
            assertTrue(attacked > 3 * clean, "FGSM loss " + attacked + " vs clean " + clean);
        }
    }

    @Test
    void pgdIsAtLeastAsStrongAsFgsmAndNoiseIsWeak() {
        List<PredictionRecord> fgsm = sweep(List.of(plan("fgsm", 0.1)), examples, 250);
        List<PredictionRecord> pgd = sweep(List.of(plan("pgd", 0.1)), examples, 250);
        List<PredictionRecord> noise = sweep(List.of(plan("noise", 0.1)), examples, 250);
        double clean = fgsm.stream().filter(PredictionRecord::cleanCorrect).count() / 1000.0;
        double fgsmAcc = accuracy(fgsm);
        double pgdAcc = accuracy(pgd);
        double noiseAcc = accuracy(noise);
        System.out.printf("1000 examples: clean %.3f, fgsm@0.1 %.3f, pgd@0.1 %.3f, noise@0.1 %.3f%n", clean, fgsmAcc,
                pgdAcc, noiseAcc);
        assertTrue(pgdAcc <= fgsmAcc + 0.01, "PGD " + pgdAcc + " vs FGSM " + fgsmAcc);
        assertTrue(clean - noiseAcc < 0.05, "noise costs " + (clean - noiseAcc));
        assertTrue(clean - fgsmAcc > 5 * Math.max(clean - noiseAcc, 0.01), "FGSM costs only " + (clean - fgsmAcc));
    }

    @Test
    void sameSeedGivesIdenticalRecords() {
        List<AttackPlan> plans = List.of(plan("pgd", 0.05), plan("pgd_l2", 1.0), plan("noise", 0.1));
        List<Example> batch = examples.subList(0, 96);
        assertEquals(sweep(plans, batch, 32), sweep(plans, batch, 32));
    }

    @Test
    void twoTasksAttackAtOnceInOneJvm() throws Exception {
        List<AttackPlan> plans = List.of(plan("fgsm", 0.1), plan("pgd", 0.05));
        List<Example> a = examples.subList(0, 128);
        List<Example> b = examples.subList(128, 256);
        List<PredictionRecord> expectedA = sweep(plans, a, 64);
        List<PredictionRecord> expectedB = sweep(plans, b, 64);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                Future<List<PredictionRecord>> fa = pool.submit(() -> sweep(plans, a, 64));
                Future<List<PredictionRecord>> fb = pool.submit(() -> sweep(plans, b, 64));
                assertEquals(expectedA, fa.get());
                assertEquals(expectedB, fb.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void batchesReleaseEveryArray() {
        List<AttackPlan> plans = List.of(plan("fgsm", 0.1), plan("pgd", 0.1), plan("pgd_l2", 1.0));
        NDManager root;
        try (NDManager probe = model.newBatchManager()) {
            root = probe.getParentManager();
        }
        sweep(plans, examples.subList(0, 32), 32);
        int before = root.getManagedArrays().size();
        sweep(plans, examples.subList(0, 320), 32);
        assertEquals(before, root.getManagedArrays().size(), "arrays left behind after 10 batches");
    }
}
