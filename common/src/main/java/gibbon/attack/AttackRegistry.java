package gibbon.attack;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Every attack Gibbon knows, by config name. Adding an attack means adding one entry here. */
public final class AttackRegistry {
    private static final String STEPS = "steps";
    private static final String RESTARTS = "restarts";
    private static final String TARGET_CLASSES = "target-classes";
    private static final String RHO = "rho";
    private static final String QUERIES = "queries";
    private static final String P_INIT = "p-init";
    private static final String OVERSHOOT = "overshoot";
    private static final String CARRY_OVER = "carry-over";

    private static final List<AttackType> TYPES = List.of(
            new AttackType("fgsm", Norm.LINF, true, "Fast Gradient Sign Method (Goodfellow et al., 2015)",
                    List.of(TargetChoice.parameter()), p -> new FgsmAttack(TargetChoice.of(p))),
            new AttackType("bim", Norm.LINF, true,
                    "Basic Iterative Method: iterated FGSM, no random start (Kurakin et al., 2017)",
                    with(IterativeSchedule.parameters(0, 0, "gradient steps; 0 = min(255 eps + 4, 1.25 * 255 eps)",
                            1.0 / 255, false), TargetChoice.parameter(), carryOver()),
                    p -> new PgdAttack(IterativeSchedule.of(p), TargetChoice.of(p), 1, p.flag(CARRY_OVER))),
            new AttackType("pgd", Norm.LINF, true,
                    "Projected Gradient Descent with random start (Madry et al., 2018)",
                    with(IterativeSchedule.parameters(20, true), TargetChoice.parameter(), restarts(), carryOver()),
                    p -> new PgdAttack(IterativeSchedule.of(p), TargetChoice.of(p), p.integer(RESTARTS), p.flag(CARRY_OVER))),
            new AttackType("pgd_l2", Norm.L2, true,
                    "Projected Gradient Descent in the L2 ball, normalised gradient steps (Madry et al., 2018)",
                    with(IterativeSchedule.parameters(20, true), restarts(), carryOver()),
                    p -> new PgdL2Attack(IterativeSchedule.of(p), p.integer(RESTARTS), p.flag(CARRY_OVER))),
            new AttackType("fgsm_rs", Norm.LINF, true, "FGSM from a uniform random start in the ball (Wong et al., 2020)",
                    List.of(AttackParameter.decimal("step-factor", 1.25, 0.0, "step as a multiple of epsilon")),
                    p -> new FgsmRsAttack(p.decimal("step-factor"))),
            new AttackType("noise", Norm.LINF, false, "Uniform random noise in the L-infinity ball (baseline)",
                    List.of(), p -> new UniformNoiseAttack()),
            new AttackType("mifgsm", Norm.LINF, true,
                    "Momentum Iterative FGSM, step eps / steps (Dong et al., 2018)",
                    List.of(AttackParameter.integer(STEPS, 10, 1, "gradient steps"),
                            AttackParameter.decimal("decay", 1.0, 0.0, "momentum decay factor mu"),
                            TargetChoice.parameter(), carryOver()),
                    p -> new MiFgsmAttack(p.integer(STEPS), p.decimal("decay"), TargetChoice.of(p), p.flag(CARRY_OVER))),
            apgdCe("apgd_ce", Norm.LINF),
            apgdCe("apgd_ce_l2", Norm.L2),
            new AttackType("apgd_dlr", Norm.LINF, true,
                    "Auto-PGD on the untargeted DLR loss, L-infinity (Croce & Hein, 2020)",
                    List.of(steps(100), restarts(),
                            AttackParameter.decimal(RHO, 0.75, 0.0, "step size halves when fewer steps improved the loss"),
                            carryOver()),
                    p -> new ApgdAttack(Norm.LINF, ApgdAttack.Loss.DLR, p.integer(STEPS), p.integer(RESTARTS),
                            p.decimal(RHO), p.flag(CARRY_OVER))),
            apgdT("apgd_t", Norm.LINF),
            apgdT("apgd_t_l2", Norm.L2),
            fabT("fab_t", Norm.LINF),
            fabT("fab_t_l2", Norm.L2),
            new AttackType("square", Norm.LINF, false,
                    "Square Attack: score-based random search, logits only (Andriushchenko et al., 2020)",
                    List.of(AttackParameter.integer(QUERIES, 5000, 1, "model queries per example"),
                            AttackParameter.decimal(P_INIT, 0.8, 0.0, "initial share of pixels a square covers"),
                            carryOver()),
                    p -> new SquareAttack(p.integer(QUERIES), p.decimal(P_INIT), p.flag(CARRY_OVER))),
            new AttackType("autoattack", Norm.LINF, true,
                    "AutoAttack standard: APGD-CE, APGD-T, FAB-T, Square on the still-robust (Croce & Hein, 2020)",
                    with(autoAttackParameters(), carryOver()),
                    p -> new AutoAttack(Norm.LINF, List.of(
                            new AutoAttack.Component("apgd_ce", apgd(Norm.LINF, ApgdAttack.Loss.CE, p.integer(STEPS), 1)),
                            new AutoAttack.Component("apgd_t",
                                    apgd(Norm.LINF, ApgdAttack.Loss.DLR_TARGETED, p.integer(STEPS), p.integer(TARGET_CLASSES))),
                            new AutoAttack.Component("fab_t", fab(Norm.LINF, p.integer(STEPS), p.integer(TARGET_CLASSES))),
                            new AutoAttack.Component("square", new SquareAttack(p.integer(QUERIES), 0.8, false))),
                            p.flag(CARRY_OVER))),
            new AttackType("autoattack_l2", Norm.L2, true,
                    "AutoAttack standard in L2 without Square: APGD-CE, APGD-T, FAB-T on the still-robust",
                    with(autoAttackParameters().subList(0, 2), carryOver()),
                    p -> new AutoAttack(Norm.L2, List.of(
                            new AutoAttack.Component("apgd_ce_l2", apgd(Norm.L2, ApgdAttack.Loss.CE, p.integer(STEPS), 1)),
                            new AutoAttack.Component("apgd_t_l2",
                                    apgd(Norm.L2, ApgdAttack.Loss.DLR_TARGETED, p.integer(STEPS), p.integer(TARGET_CLASSES))),
                            new AutoAttack.Component("fab_t_l2", fab(Norm.L2, p.integer(STEPS), p.integer(TARGET_CLASSES)))),
                            p.flag(CARRY_OVER))),
            new AttackType("cw_l2", Norm.L2, true,
                    "Carlini-Wagner L2, minimal norm: Adam in tanh space, binary search over c (Carlini & Wagner, 2017)",
                    List.of(AttackParameter.integer("binary-search-steps", 5, 1, "searches over the constant c"),
                            AttackParameter.integer(STEPS, 100, 1, "Adam steps per search step"),
                            AttackParameter.decimal("learning-rate", 0.05, 0.0, "Adam learning rate"),
                            AttackParameter.decimal("initial-const", 0.1, 0.0, "first c, weight of the misclassification term"),
                            AttackParameter.decimal("confidence", 0.0, 0.0, "kappa: logit margin required of an adversarial")),
                    p -> new CarliniWagnerAttack(p.integer("binary-search-steps"), p.integer(STEPS),
                            p.decimal("learning-rate"), p.decimal("initial-const"), p.decimal("confidence"))),
            deepFool("deepfool", Norm.L2),
            deepFool("deepfool_linf", Norm.LINF));

    private AttackRegistry() {}

    public static List<AttackType> all() {
        return TYPES;
    }

    public static Optional<AttackType> find(String name) {
        return TYPES.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public static List<String> names() {
        return TYPES.stream().map(AttackType::name).toList();
    }

    private static List<AttackParameter> with(List<AttackParameter> base, AttackParameter... more) {
        List<AttackParameter> out = new ArrayList<>(base);
        out.addAll(List.of(more));
        return List.copyOf(out);
    }

    private static AttackParameter restarts() {
        return AttackParameter.integer(RESTARTS, 1, 1, "runs from fresh random starts; each example keeps its worst case");
    }

    /** Declared by the attacks that search their ball for any adversarial ({@link Attack#carry()}). */
    private static AttackParameter carryOver() {
        return AttackParameter.flag(CARRY_OVER, true,
                "in a sweep, attack a larger epsilon only on examples a smaller one left unbroken; reuse the others'");
    }

    private static AttackParameter steps(int defaultSteps) {
        return AttackParameter.integer(STEPS, defaultSteps, 1, "iterations per run");
    }

    private static AttackParameter targetClasses() {
        return AttackParameter.integer(TARGET_CLASSES, 9, 1,
                "targets: the classes ranked 2nd, 3rd, ... on the clean input, one run each");
    }

    private static List<AttackParameter> autoAttackParameters() {
        return List.of(steps(100), targetClasses(),
                AttackParameter.integer(QUERIES, 5000, 1, "Square's model queries per example"));
    }

    private static String normName(Norm norm) {
        return norm == Norm.LINF ? "L-infinity" : "L2";
    }

    private static AttackType apgdCe(String name, Norm norm) {
        return new AttackType(name, norm, true, "Auto-PGD on cross-entropy, " + normName(norm) + " (Croce & Hein, 2020)",
                List.of(steps(100), restarts(),
                        AttackParameter.decimal(RHO, 0.75, 0.0, "step size halves when fewer steps improved the loss"),
                        carryOver()),
                p -> new ApgdAttack(norm, ApgdAttack.Loss.CE, p.integer(STEPS), p.integer(RESTARTS), p.decimal(RHO),
                        p.flag(CARRY_OVER)));
    }

    private static AttackType apgdT(String name, Norm norm) {
        return new AttackType(name, norm, true,
                "Auto-PGD on the targeted DLR loss, top-k targets, " + normName(norm) + " (Croce & Hein, 2020)",
                List.of(steps(100), targetClasses(),
                        AttackParameter.decimal(RHO, 0.75, 0.0, "step size halves when fewer steps improved the loss"),
                        carryOver()),
                p -> new ApgdAttack(norm, ApgdAttack.Loss.DLR_TARGETED, p.integer(STEPS), p.integer(TARGET_CLASSES),
                        p.decimal(RHO), p.flag(CARRY_OVER)));
    }

    /** An ensemble's APGD component, with AutoAttack's rho; the ensemble, not the component, carries over. */
    private static ApgdAttack apgd(Norm norm, ApgdAttack.Loss loss, int steps, int attempts) {
        return new ApgdAttack(norm, loss, steps, attempts, 0.75, false);
    }

    private static FabAttack fab(Norm norm, int steps, int targetClasses) {
        return new FabAttack(norm, steps, targetClasses, 1.05, 0.9, 0.1);
    }

    private static AttackType fabT(String name, Norm norm) {
        return new AttackType(name, norm, true,
                "FAB-T, targeted minimal-norm boundary attack, " + normName(norm) + " (Croce & Hein, 2020)",
                List.of(steps(100), targetClasses(),
                        AttackParameter.decimal("eta", 1.05, 1.0, "overshoot of each projection step"),
                        AttackParameter.decimal("beta", 0.9, 0.0, "backward step toward the clean input once adversarial"),
                        AttackParameter.decimal("alpha-max", 0.1, 0.0, "largest weight of the clean input's projection")),
                p -> new FabAttack(norm, p.integer(STEPS), p.integer(TARGET_CLASSES), p.decimal("eta"), p.decimal("beta"),
                        p.decimal("alpha-max")));
    }

    private static AttackType deepFool(String name, Norm norm) {
        return new AttackType(name, norm, true,
                "DeepFool, minimal norm, " + normName(norm) + " (Moosavi-Dezfooli et al., 2016)",
                List.of(AttackParameter.integer(STEPS, 50, 1, "largest number of linearisation steps"),
                        AttackParameter.decimal(OVERSHOOT, 0.02, 0.0, "how far past the boundary the result lands")),
                p -> new DeepFoolAttack(norm, p.integer(STEPS), p.decimal(OVERSHOOT)));
    }
}
