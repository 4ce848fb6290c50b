package gibbon.certify;

/**
 * The answer of CERTIFY (Cohen et al. 2019, Algorithm 1) for one input at one σ: the top class ĉA
 * of the n0 selection samples, how often the n estimation samples gave it (nA), the one-sided
 * Clopper–Pearson lower bound p̲A at confidence 1 − α, and, unless it abstains (p̲A < ½), the
 * class with its certified L2 radius R = σ·Φ⁻¹(p̲A): with probability at least 1 − α over the
 * sampling, the smoothed classifier predicts ĉA everywhere within R of the input.
 *
 * @param predicted ĉA, or {@link #ABSTAIN}
 * @param topClass ĉA, the selection samples' top class, also when abstaining
 * @param nA estimation samples classified as ĉA
 * @param n estimation samples
 * @param pALower p̲A
 * @param radius R in [0, 1] pixel units (L2), or NaN when abstaining
 */
public record Certificate(int predicted, int topClass, long nA, long n, double pALower, double radius) {
    /** The class of an answer that abstains. */
    public static final int ABSTAIN = -1;

    /**
     * CERTIFY from the class counts of its two independent sample sets.
     *
     * @param selection class counts of the n0 selection samples, which only choose ĉA
     * @param estimation class counts of the n estimation samples, which bound pA
     */
    public static Certificate certify(long[] selection, long[] estimation, double sigma, double alpha) {
        int top = ClassCounts.top(selection);
        long nA = estimation[top];
        long n = ClassCounts.total(estimation);
        double pALower = ClopperPearson.lowerBound(nA, n, alpha);
        if (pALower < 0.5) {
            return new Certificate(ABSTAIN, top, nA, n, pALower, Double.NaN);
        }
        // p̲A = ½ exactly certifies radius 0: the prediction itself, nothing around it.
        double radius = pALower == 0.5 ? 0 : sigma * StandardNormal.quantile(pALower);
        return new Certificate(top, top, nA, n, pALower, radius);
    }

    public boolean abstained() {
        return predicted == ABSTAIN;
    }

    /** Whether the certified class is {@code label} (an abstention is never correct). */
    public boolean correct(int label) {
        return predicted == label;
    }
}
