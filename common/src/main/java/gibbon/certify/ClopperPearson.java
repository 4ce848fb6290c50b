package gibbon.certify;

import org.apache.commons.math3.distribution.BetaDistribution;

/**
 * The one-sided Clopper–Pearson (exact binomial) lower confidence bound on a success probability,
 * CERTIFY's LOWERCONFBOUND (Cohen et al. 2019, Algorithm 1): the α quantile of
 * Beta(k, n − k + 1), so that P(p ≥ bound) ≥ 1 − α for every p. The paper's code gets it from
 * statsmodels' {@code proportion_confint(k, n, alpha=2*alpha, method="beta")[0]}, the same number.
 */
public final class ClopperPearson {
    /** Absolute accuracy of the Beta quantile: far below the Monte-Carlo error of any estimate. */
    private static final double ACCURACY = 1e-14;

    private ClopperPearson() {}

    /**
     * @param successes k, in [0, trials]
     * @param trials n, at least 1
     * @param alpha the bound fails with probability at most alpha, in (0, 1)
     * @return the lower bound, 0 when there is no success
     */
    public static double lowerBound(long successes, long trials, double alpha) {
        if (trials < 1 || successes < 0 || successes > trials) {
            throw new IllegalArgumentException(successes + " successes in " + trials + " trials");
        }
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("alpha " + alpha + " is not in (0, 1)");
        }
        if (successes == 0) {
            return 0;
        }
        return new BetaDistribution(null, successes, trials - successes + 1, ACCURACY).inverseCumulativeProbability(alpha);
    }
}
