package gibbon.attack;

import java.io.Serializable;
import java.util.List;

/**
 * One configured attack of a sweep: the label it is recorded under (the config entry's name), the
 * registered attack type, its validated parameters and its epsilon values.
 */
public record AttackPlan(String label, String type, AttackParams params, List<Double> epsilons)
        implements Serializable {

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
