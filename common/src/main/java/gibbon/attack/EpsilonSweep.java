package gibbon.attack;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The budgets an attack is swept over, decided once from the configured values: whether the clean
 * point (epsilon 0, the clean input itself) is a row, and the positive budgets in ascending order,
 * each once. Rows follow {@link #epsilons()}: the clean point first, then the budgets.
 *
 * @param clean whether epsilon 0 is part of the sweep
 * @param positive the budgets greater than 0, ascending and distinct
 */
public record EpsilonSweep(boolean clean, List<Double> positive) implements Serializable {
    public EpsilonSweep {
        positive = List.copyOf(positive);
        double previous = 0;
        for (double e : positive) {
            if (!(e > previous) || Double.isInfinite(e)) {
                throw new IllegalArgumentException("budgets " + positive + " are not positive, finite and ascending");
            }
            previous = e;
        }
    }

    /**
     * The sweep of some epsilon values in any order.
     *
     * @throws IllegalArgumentException if a value is negative, not finite, or repeats
     */
    public static EpsilonSweep of(List<Double> epsilons) {
        if (epsilons.stream().distinct().count() != epsilons.size()) {
            throw new IllegalArgumentException("epsilon values repeat: " + epsilons);
        }
        for (double e : epsilons) {
            if (!(e >= 0)) {
                throw new IllegalArgumentException("epsilon " + e + " is negative or not a number");
            }
        }
        return new EpsilonSweep(epsilons.contains(0.0), epsilons.stream().filter(e -> e > 0).sorted().toList());
    }

    /** The sweep of some epsilon values with the clean point always in it: every curve starts there. */
    public static EpsilonSweep withClean(List<Double> epsilons) {
        return new EpsilonSweep(true, of(epsilons).positive());
    }

    /** Every epsilon of the sweep in row order: 0 first when clean, then the budgets ascending. */
    public List<Double> epsilons() {
        List<Double> out = new ArrayList<>(size());
        if (clean) {
            out.add(0.0);
        }
        out.addAll(positive);
        return List.copyOf(out);
    }

    /** The number of rows each example gets. */
    public int size() {
        return positive.size() + (clean ? 1 : 0);
    }
}
