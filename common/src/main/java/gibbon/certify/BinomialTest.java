package gibbon.certify;

import org.apache.commons.math3.special.Beta;

/**
 * The exact two-sided binomial test of H0: p = ½, PREDICT's BINOMPVALUE (Cohen et al. 2019,
 * Algorithm 1; SciPy's {@code binomtest(k, n, 0.5)}): the probability, under H0, of an outcome at
 * least as far from n/2 as k.
 */
public final class BinomialTest {
    private BinomialTest() {}

    /**
     * @param successes k, in [0, trials]
     * @param trials n, 0 or more (no trial: p-value 1)
     */
    public static double twoSidedHalf(long successes, long trials) {
        if (successes < 0 || successes > trials) {
            throw new IllegalArgumentException(successes + " successes in " + trials + " trials");
        }
        long far = Math.max(successes, trials - successes);
        if (trials == 0 || 2 * far == trials) {
            return 1;
        }
        // P(X >= far) = I_{1/2}(far, n - far + 1); the distribution is symmetric, so the two tails are equal.
        return Math.min(1, 2 * Beta.regularizedBeta(0.5, far, trials - far + 1));
    }
}
