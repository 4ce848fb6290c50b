package gibbon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import gibbon.GibbonException;
import gibbon.attack.AttackParameter;
import gibbon.attack.AttackParams;
import gibbon.attack.AttackPlan;
import gibbon.attack.AttackRegistry;
import gibbon.attack.AttackSweep;
import gibbon.attack.AttackType;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import gibbon.metrics.PredictionRecord;
import gibbon.model.ClassifierCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A value the user sets is never replaced by a default: where parameters are alternatives to each
 * other (an absolute or a relative step size), a default applies only when the user set none of
 * them, and two contradicting explicit settings are a config error naming both keys.
 */
class AttackParameterPrecedenceTest {
    private static final Path DEFAULT = Path.of("conf", "default.conf");

    private static AttackParams params(String label, String... overrides) {
        return plan(label, overrides).params();
    }

    private static AttackPlan plan(String label, String... overrides) {
        return ConfigLoader.load(DEFAULT, List.of(overrides)).attacks().stream().filter(p -> p.label().equals(label))
                .findFirst().orElseThrow();
    }

    private static String fails(String... overrides) {
        GibbonException e = assertThrows(GibbonException.class, () -> ConfigLoader.load(DEFAULT, List.of(overrides)));
        assertEquals(2, e.exitCode());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aRelativeStepSizeReplacesTheDefaultAbsoluteOne() {
        AttackParams bim = params("bim", "attacks.bim = { epsilons = [0.3], steps = 10, relative-step-size = 0.25 }");
        assertEquals(0.25, bim.decimal("relative-step-size"));
        assertEquals(0.0, bim.decimal("step-size"), "bim's default step-size 1/255 must not win over the user's"
                + " relative-step-size");
        assertEquals(10, bim.integer("steps"));
    }

    @Test
    void anAbsoluteStepSizeIsKeptAndTheDefaultsApplyWhenNoneIsSet() {
        AttackParams set = params("bim", "attacks.bim = { epsilons = [0.3], step-size = 0.02 }");
        assertEquals(0.02, set.decimal("step-size"));
        assertEquals(0.0, set.decimal("relative-step-size"));
        AttackParams defaults = params("bim", "attacks.bim = { epsilons = [0.3] }");
        assertEquals(1.0 / 255, defaults.decimal("step-size"), "with neither set, bim's own default applies");
        assertEquals(0, defaults.integer("steps"), "bim's default is Kurakin's automatic step count");
        AttackParams pgd = params("pgd", "attacks.pgd.relative-step-size=0.1");
        assertEquals(0.1, pgd.decimal("relative-step-size"));
        assertEquals(0.0, pgd.decimal("step-size"));
    }

    @Test
    void twoActiveStepSizesAreAConfigErrorNamingBothKeys() {
        for (String attack : List.of("bim", "pgd", "pgd_l2")) {
            String m = fails("attacks." + attack + " = { epsilons = [0.1], step-size = 0.01, relative-step-size = 0.25 }");
            assertTrue(m.contains("attacks." + attack + ".step-size") && m.contains("attacks." + attack
                    + ".relative-step-size"), m);
        }
        String named = fails("attacks.strong = { attack = bim, epsilons = [0.1], step-size = 0.01, relative-step-size = 0.25 }");
        assertTrue(named.contains("attacks.strong.step-size") && named.contains("attacks.strong.relative-step-size"), named);
    }

    @Test
    void aPrecisionIsTheBisectionsAndContradictsASweep() {
        String m = fails("attacks.pgd.precision=0.002");
        assertTrue(m.contains("attacks.pgd.precision") && m.contains("attacks.pgd.search"), m);
        assertTrue(fails("attacks.pgd.precision=0.002", "attacks.pgd.search=sweep").contains("attacks.pgd.precision"));
        AttackPlan bisect = plan("pgd", "attacks.pgd.precision=0.002", "attacks.pgd.search=bisect");
        assertEquals(0.002, bisect.precision());
        assertEquals(0.001, plan("pgd", "attacks.pgd.search=bisect").precision(), "the default precision of a bisection");
    }

    @Test
    void anAlternativeSetToItsOffValueBesideTheOtherIsFine() {
        AttackParams relative = params("bim", "attacks.bim = { epsilons = [0.3], step-size = 0, relative-step-size = 0.25 }");
        assertEquals(0.0, relative.decimal("step-size"));
        assertEquals(0.25, relative.decimal("relative-step-size"));
        AttackParams absolute = params("pgd", "attacks.pgd.step-size=0.02", "attacks.pgd.relative-step-size=0");
        assertEquals(0.02, absolute.decimal("step-size"));
        AttackParams neither = params("bim", "attacks.bim = { epsilons = [0.3], step-size = 0, relative-step-size = 0 }");
        assertEquals(0.0, neither.decimal("step-size"), "both off: 2.5 * epsilon / steps, as the user asked");
        assertEquals(0.0, neither.decimal("relative-step-size"));
    }

    @Test
    void stepsSetByTheUserAreKeptAndZeroMeansAutomaticOnlyWhereAllowed() {
        assertEquals(10, params("bim", "attacks.bim = { epsilons = [0.3], steps = 10 }").integer("steps"));
        assertEquals(0, params("bim", "attacks.bim = { epsilons = [0.3], steps = 0 }").integer("steps"));
        assertTrue(fails("attacks.pgd.steps=0").contains("at least 1"));
        assertTrue(fails("attacks.mifgsm = { epsilons = [0.1], steps = 0 }").contains("at least 1"));
    }

    @Test
    void theResolvedConfigRecordsWhichStepSizeApplied() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of(
                "attacks.bim = { epsilons = [0.3], steps = 10, relative-step-size = 0.25 }"));
        assertTrue(c.resolvedJson().contains("\"relative-step-size\":0.25,") || c.resolvedJson().contains(
                "\"relative-step-size\":0.25}"), c.resolvedJson());
        assertTrue(!c.resolvedJson().contains(String.valueOf(1.0 / 255)), c.resolvedJson());
    }

    @Test
    void attacksBuiltInCodeFollowTheSameRule() {
        AttackType bim = AttackRegistry.find("bim").orElseThrow();
        AttackParams relative = bim.params("bim", Map.of("relative-step-size", 0.25));
        assertEquals(0.0, relative.decimal("step-size"));
        assertEquals(1.0 / 255, bim.params("bim", Map.of()).decimal("step-size"));
        GibbonException e = assertThrows(GibbonException.class,
                () -> bim.create(new AttackParams(Map.of("step-size", 0.01, "relative-step-size", 0.25))));
        assertTrue(e.getMessage().contains("'bim.step-size'") && e.getMessage().contains("'bim.relative-step-size'"),
                e.getMessage());
    }

    /** The registry's only alternatives are the step sizes of the iterative L-infinity and L2 attacks. */
    @Test
    void theStepSizesAreTheOnlyAlternatives() {
        Map<String, List<String>> alternatives = new TreeMap<>();
        for (AttackType type : AttackRegistry.all()) {
            List<String> names = type.parameters().stream().filter(p -> p.alternatives() != null)
                    .map(AttackParameter::name).toList();
            if (!names.isEmpty()) {
                alternatives.put(type.name(), names);
            }
        }
        List<String> steps = List.of("step-size", "relative-step-size");
        assertEquals(Map.of("bim", steps, "pgd", steps, "pgd_l2", steps), alternatives);
    }

    /**
     * The independent check of the issue: BIM with ten steps of a quarter epsilon at epsilon 0.3
     * moves further than the ten 1/255 steps the default absolute step size would allow.
     */
    @Test
    void bimWithARelativeStepMovesBeyondTenDefaultSteps() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of("attacks.bim = { epsilons = [0.3], steps = 10,"
                + " relative-step-size = 0.25 }"));
        AttackPlan bim = c.attacks().stream().filter(p -> p.label().equals("bim")).findFirst().orElseThrow();
        List<Example> examples = new ArrayList<>();
        IdxDataset.open(c.dataset().images(), c.dataset().labels(), c.hadoop()).read(0, 32)
                .forEachRemaining(examples::add);
        AttackSweep sweep = new AttackSweep(ClassifierCache.get(c.model(), Device.cpu(), 1, c.hadoop()), List.of(bim),
                c.seed(), 32);
        float largest = 0;
        for (var it = sweep.run(examples.iterator(), n -> { }); it.hasNext(); ) {
            PredictionRecord r = it.next();
            if (r.attack().equals("bim") && r.epsilon() == 0.3) {
                largest = Math.max(largest, r.linf());
            }
        }
        // One step of 0.25 * 0.3 is already 0.075; ten steps of 1/255 reach at most 0.039.
        assertTrue(largest > 10 / 255.0 + 0.01, "largest L-infinity perturbation " + largest);
    }
}
