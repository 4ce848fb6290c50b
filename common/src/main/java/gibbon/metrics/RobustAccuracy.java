package gibbon.metrics;

/**
 * The summary of one (attack, epsilon) over all examples of a run: a row of the {@code summary}
 * table. Robust accuracy is the share of ALL examples still classified correctly under attack, so
 * clean errors count as not robust (as RobustBench and AutoAttack count); the attack success rate
 * is taken among the clean-correct examples only.
 */
public record RobustAccuracy(String attack, String norm, double epsilon, long n, long correct,
        double robustAccuracy, double cleanAccuracy, double accuracyDrop, double attackSuccessRate,
        double ciLow, double ciHigh, double meanConfidence) {

    /**
     * Builds the summary from counts.
     *
     * @param n examples attacked
     * @param correct examples classified correctly under attack
     * @param cleanCorrect examples classified correctly without attack
     * @param fooled clean-correct examples that the attack made wrong
     * @param confidenceSum sum of the predicted class's probability under attack
     */
    public static RobustAccuracy of(String attack, String norm, double epsilon, long n, long correct,
            long cleanCorrect, long fooled, double confidenceSum) {
        double robust = n == 0 ? 0 : (double) correct / n;
        double clean = n == 0 ? 0 : (double) cleanCorrect / n;
        WilsonInterval ci = WilsonInterval.of95(correct, n);
        return new RobustAccuracy(attack, norm, epsilon, n, correct, robust, clean, clean - robust,
                cleanCorrect == 0 ? 0 : (double) fooled / cleanCorrect, ci.low(), ci.high(),
                n == 0 ? 0 : confidenceSum / n);
    }
}
