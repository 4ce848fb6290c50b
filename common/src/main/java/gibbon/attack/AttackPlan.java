package gibbon.attack;

import java.io.Serializable;
import java.util.List;

/**
 * One configured attack of a sweep: the label it is recorded under (the config entry's name), the
 * registered attack type, its validated parameters, its budgets, and how each example's minimal
 * fooling epsilon is found ({@code sweep}: the first wrong epsilon of the sweep; {@code bisect}:
 * then bisection to {@code precision}).
 */
public record AttackPlan(String label, String type, AttackParams params, EpsilonSweep budgets, String search,
        double precision) implements Serializable {
    public static final String SWEEP = "sweep";
    public static final String BISECT = "bisect";

    /** A plan over some epsilon values in any order (0 for the clean point). */
    public AttackPlan(String label, String type, AttackParams params, List<Double> epsilons, String search,
            double precision) {
        this(label, type, params, EpsilonSweep.of(epsilons), search, precision);
    }

    /** A plan whose minimal epsilon comes from the sweep alone. */
    public AttackPlan(String label, String type, AttackParams params, List<Double> epsilons) {
        this(label, type, params, epsilons, SWEEP, 0);
    }

    /** Every epsilon of the plan in row order (see {@link EpsilonSweep#epsilons()}). */
    public List<Double> epsilons() {
        return budgets.epsilons();
    }

    public AttackType attackType() {
        return AttackRegistry.find(type).orElseThrow(() -> new IllegalArgumentException("unknown attack " + type));
    }

    public Attack create() {
        return attackType().create(params);
    }

    public Norm norm() {
        return attackType().norm();
    }
}
