package gibbon.attack;

import ai.djl.ndarray.NDArray;
import gibbon.model.TargetModel;
import java.util.ArrayList;
import java.util.List;

/**
 * One adversarial attack at a fixed budget: it implements {@link #craft} and nothing else is
 * required. Its threat model (norm) and whether it reads gradients are declared once, by its
 * {@link AttackType} in the {@link AttackRegistry}. The {@link Crafter} that calls it owns batching,
 * seeds and the threat model: whatever comes back is projected onto the epsilon-ball and clipped
 * to [0, 1] before it is judged, so no attack can break it.
 */
public interface Attack {
    /**
     * Which examples a sweep may stop attacking once a smaller budget of the same norm broke them.
     * An adversarial found inside the ball of a smaller epsilon lies inside every larger ball, so for
     * an attack that searches its ball for any adversarial (BIM, PGD, APGD, Square, AutoAttack) the
     * sweep attacks each larger budget only on the examples still unbroken and reuses the earlier
     * adversarial for the others, as AutoAttack attacks only still-robust points. One-shot methods
     * (FGSM, noise) keep the default {@link Carry#NONE}: their robust accuracy is defined by what
     * the method itself does at each epsilon, and it is not monotone.
     */
    default Carry carry() {
        return Carry.NONE;
    }

    /**
     * Crafts adversarial inputs for a batch and says, per example, what the attack aimed at and which
     * of its components broke it.
     *
     * @param model the model under attack
     * @param x clean inputs in [0, 1], shape (batch, channels, rows, columns)
     * @param labels true labels, shape (batch)
     * @param epsilon each example's budget, greater than 0, shape (batch, 1, 1, 1); a sweep gives
     *     every example the same budget, a minimal-epsilon search gives each its own
     * @param random per-example random streams for this (attack, epsilon)
     */
    Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random);

    /**
     * Crafts at each of several budgets, one result per budget in order. The default crafts each on
     * its own; attacks whose work does not depend on the budget override it, so that a sweep over K
     * budgets costs them one gradient, not K (FGSM: the sign of the gradient at x serves every
     * epsilon).
     *
     * @param epsilons per budget, each example's budget, shape (batch, 1, 1, 1)
     * @param randoms per budget, the random streams for (attack, epsilon)
     */
    default List<Crafted> craftEach(TargetModel model, NDArray x, NDArray labels, List<NDArray> epsilons,
            List<ExampleRandom> randoms) {
        List<Crafted> out = new ArrayList<>(epsilons.size());
        for (int k = 0; k < epsilons.size(); k++) {
            out.add(craft(model, x, labels, epsilons.get(k), randoms.get(k)));
        }
        return out;
    }

    /** When an example counts as broken for {@link #carry()}. */
    enum Carry {
        /** Never: every budget is attacked on every example. */
        NONE,
        /** Once its adversarial is misclassified. */
        MISCLASSIFIED,
        /** Once its adversarial is classified as the attack's target (targeted attacks). */
        TARGET_HIT;

        /** The carry of an attack that searches its ball: none when its carry-over parameter is off. */
        static Carry of(boolean carryOver, boolean targeted) {
            if (!carryOver) {
                return NONE;
            }
            return targeted ? TARGET_HIT : MISCLASSIFIED;
        }
    }

    /**
     * An attack's result on a batch.
     *
     * @param adversarial inputs shaped like the clean batch
     * @param targets per example the class the attack aimed at, {@link #NO_TARGET} where it aimed at
     *     none; null for an untargeted attack
     * @param brokenBy per example the component (of an ensemble) whose input is returned because it
     *     fooled the model, null entries where none did; null for attacks without components
     */
    record Crafted(NDArray adversarial, int[] targets, String[] brokenBy) {
        /** The entry of {@code targets} for an example without a target. */
        public static final int NO_TARGET = -1;

        /** The result of an attack with nothing to say beyond its inputs. */
        public static Crafted of(NDArray adversarial) {
            return new Crafted(adversarial, null, null);
        }
    }
}
