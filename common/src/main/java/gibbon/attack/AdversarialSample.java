package gibbon.attack;

import java.io.Serializable;

/**
 * Which examples keep their adversarial inputs (every attack and epsilon, float32, unrounded) for
 * the {@code adversarial_examples} table. The choice hashes (run seed, example id), so it needs no
 * global coordination, is the same on every executor, and a retried task keeps the same examples.
 *
 * @param fraction the share of examples kept: 0 none, 1 all
 */
public record AdversarialSample(long seed, double fraction) implements Serializable {
    /** Keeps nothing. */
    public static final AdversarialSample NONE = new AdversarialSample(0, 0);

    public AdversarialSample {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction " + fraction + " is not in [0, 1]");
        }
    }

    /** Whether this example's adversarial inputs are kept. */
    public boolean keeps(long exampleId) {
        if (fraction <= 0) {
            return false;
        }
        // SplitMix64's finaliser: uniform 53-bit fractions from (seed, id).
        long z = seed * 0x9E3779B97F4A7C15L + exampleId;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53 < fraction;
    }
}
