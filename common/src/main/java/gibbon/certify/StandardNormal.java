package gibbon.certify;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.special.Erf;

/** Φ⁻¹, the standard normal quantile, which turns CERTIFY's p̲A into the radius σ·Φ⁻¹(p̲A). */
public final class StandardNormal {
    private static final NormalDistribution N01 = new NormalDistribution(null, 0, 1);
    private static final double SQRT2 = Math.sqrt(2);
    private static final double SQRT2PI = Math.sqrt(2 * Math.PI);

    private StandardNormal() {}

    /**
     * Φ⁻¹(p) for p in (0, 1). commons-math's erfInv starts it; one Newton step on the nearer tail,
     * computed with erfc, makes it accurate to a few ulps in both tails, where 2p − 1 has lost the
     * digits that matter (p̲A close to 1 certifies the largest radii).
     */
    public static double quantile(double p) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("p " + p + " is not in (0, 1)");
        }
        double z = N01.inverseCumulativeProbability(p);
        // Φ(z) − p through the tail probability, which is small where it matters, so not rounded away.
        double excess = p > 0.5 ? (1 - p) - 0.5 * Erf.erfc(z / SQRT2) : 0.5 * Erf.erfc(-z / SQRT2) - p;
        double density = Math.exp(-0.5 * z * z) / SQRT2PI;
        return density > 0 ? z - excess / density : z;
    }
}
