package gibbon.certify;

/**
 * The answer of PREDICT (Cohen et al. 2019, Algorithm 1): the top class of n noisy samples when a
 * two-sided binomial test says, at level α, that it beats the runner-up; otherwise abstain. With
 * probability at least 1 − α it does not return a class other than the smoothed classifier's.
 *
 * @param predicted the top class, or {@link Certificate#ABSTAIN}
 * @param pValue the test's p-value of nA against nB on nA + nB trials
 */
public record SmoothedPrediction(int predicted, double pValue) {
    /** PREDICT from the class counts of its n samples. */
    public static SmoothedPrediction predict(long[] counts, double alpha) {
        int top = ClassCounts.top(counts);
        long nA = counts[top];
        long nB = counts[ClassCounts.runnerUp(counts, top)];
        double p = BinomialTest.twoSidedHalf(nA, nA + nB);
        return new SmoothedPrediction(p <= alpha ? top : Certificate.ABSTAIN, p);
    }

    public boolean abstained() {
        return predicted == Certificate.ABSTAIN;
    }
}
