package gibbon.attack;

import static gibbon.attack.AttackSuiteTest.accuracy;
import static gibbon.attack.AttackSuiteTest.plan;
import static gibbon.attack.AttackSuiteTest.sweep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.data.Example;
import gibbon.metrics.PredictionRecord;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The orderings expected of the attack suite on the bundled model at a mid epsilon: APGD is no
 * weaker than PGD, the ensemble no weaker than any of its parts, and where both succeed the
 * minimal-norm attacks fool with smaller L2 perturbations than PGD-L2, which spends its whole budget.
 */
class AttackOrderingTest {
    private static List<Example> examples;

    @BeforeAll
    static void load() {
        BundledModel.model();
        examples = BundledModel.examples(200);
    }

    private static double robust(String type, Map<String, Object> overrides, double eps, List<Example> batch) {
        return accuracy(sweep(List.of(plan(type, overrides, eps)), batch));
    }

    @Test
    void apgdCeIsNoWeakerThanPgd() {
        double pgd = robust("pgd", Map.of(), 0.05, examples);
        double apgd = robust("apgd_ce", Map.of(), 0.05, examples);
        System.out.printf("200 examples at 0.05: pgd (20 steps) %.4f, apgd_ce (100 steps) %.4f%n", pgd, apgd);
        assertTrue(apgd <= pgd + 0.01, "APGD-CE " + apgd + " vs PGD " + pgd);
    }

    @Test
    void theEnsembleIsNoWeakerThanAnyComponent() {
        List<Example> batch = examples.subList(0, 120);
        Map<String, Object> small = Map.of("steps", 20, "target-classes", 3, "queries", 200);
        double eps = 0.05;
        List<PredictionRecord> ensemble = sweep(List.of(plan("autoattack", small, eps)), batch);
        double aa = accuracy(ensemble);
        StringBuilder line = new StringBuilder(String.format("120 examples at %.2f: autoattack %.3f", eps, aa));
        for (String component : List.of("apgd_ce", "apgd_t", "fab_t", "square")) {
            double acc = robust(component, small, eps, batch);
            line.append(String.format(", %s %.3f", component, acc));
            assertTrue(aa <= acc, "autoattack " + aa + " above " + component + " " + acc);
        }
        Map<String, Long> byComponent = ensemble.stream().filter(r -> r.brokenBy() != null)
                .collect(Collectors.groupingBy(PredictionRecord::brokenBy, Collectors.counting()));
        System.out.println(line + "; broken by " + byComponent);
        long fooled = ensemble.stream().filter(r -> r.cleanCorrect() && !r.correct()).count();
        assertEquals(fooled, byComponent.values().stream().mapToLong(Long::longValue).sum(),
                "every fooled example names the component that broke it");
    }

    @Test
    void minimalNormAttacksFindSmallerL2PerturbationsThanPgdL2() {
        List<Example> batch = examples.subList(0, 60);
        double eps = 1.0;
        Map<Long, Double> pgd = fooledSizes(plan("pgd_l2", Map.of(), eps), batch);
        for (AttackPlan plan : List.of(plan("cw_l2", Map.of("steps", 50, "binary-search-steps", 3), eps),
                plan("deepfool", Map.of(), eps))) {
            Map<Long, Double> own = fooledSizes(plan, batch);
            own.keySet().retainAll(pgd.keySet());
            double size = median(own.values().stream().mapToDouble(Double::doubleValue).toArray());
            double reference = median(own.keySet().stream().mapToDouble(pgd::get).toArray());
            System.out.printf("%s at %.1f: %d examples fooled by both, median L2 %.3f vs PGD-L2 %.3f%n", plan.type(), eps,
                    own.size(), size, reference);
            assertTrue(own.size() > 30, plan.type() + " fooled only " + own.size() + " examples that PGD-L2 fooled");
            assertTrue(size < 0.8 * reference, plan.type() + " median L2 " + size + " vs PGD-L2 " + reference);
        }
    }

    /** The L2 size of the perturbation applied to each clean-correct example the attack fooled. */
    private static Map<Long, Double> fooledSizes(AttackPlan plan, List<Example> batch) {
        Map<Long, Double> out = new HashMap<>();
        sweep(List.of(plan), batch).stream().filter(r -> r.cleanCorrect() && !r.correct())
                .forEach(r -> out.put(r.exampleId(), (double) r.l2()));
        return out;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
