package gibbon.attack;

import java.io.Serializable;
import java.util.List;

/**
 * One configured attack of a sweep: the label it is recorded under (the config entry's name), the
 * registered attack type, its validated parameters, its epsilon values, and how each example's
 * minimal fooling epsilon is found ({@code sweep}: the first wrong epsilon of the sweep;
 * {@code bisect}: then bisection to {@code precision}).
 */
public record AttackPlan(String label, String type, AttackParams params, List<Double> epsilons, String search,
        double precision) implements Serializable {
    public static final String SWEEP = "sweep";
    public static final String BISECT = "bisect";

    /** A plan whose minimal epsilon comes from the sweep alone. */
    public AttackPlan(String label, String type, AttackParams params, List<Double> epsilons) {
        this(label, type, params, epsilons, SWEEP, 0);
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
