package gibbon.metrics;

/**
 * The Wilson score interval for a binomial proportion: unlike the normal approximation it stays
 * inside [0, 1] and behaves at 0 % and 100 %, where robust accuracy often sits.
 */
public record WilsonInterval(double low, double high) {
    /** z for a two-sided 95 % interval. */
    public static final double Z95 = 1.959963984540054;

    public static WilsonInterval of(long successes, long n, double z) {
        if (n == 0) {
            return new WilsonInterval(0, 1);
        }
        double p = (double) successes / n;
        double z2 = z * z;
        double denominator = 1 + z2 / n;
        double centre = (p + z2 / (2.0 * n)) / denominator;
        double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
        // At 0 % and 100 % the exact bound is 0 or 1; the formula leaves rounding residue (1e-19).
        return new WilsonInterval(successes == 0 ? 0 : Math.max(0, centre - half),
                successes == n ? 1 : Math.min(1, centre + half));
    }

    public static WilsonInterval of95(long successes, long n) {
        return of(successes, n, Z95);
    }
}
