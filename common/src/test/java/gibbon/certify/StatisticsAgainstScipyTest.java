package gibbon.certify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Certification's statistics against SciPy (Debian's python3-scipy, run here): the Clopper–Pearson
 * lower bound ({@code beta.ppf(alpha, k, n - k + 1)}), Φ⁻¹ ({@code norm.ppf}) at each bound, and
 * the two-sided binomial test ({@code binomtest(k, n, 0.5)}) on a grid of (k, n, α) that covers
 * abstaining, certifying, every count certain and none.
 */
class StatisticsAgainstScipyTest {
    private static final long[] TRIALS = {1, 10, 100, 1_000, 10_000, 100_000};
    private static final double[] SHARES = {0, 0.001, 0.3, 0.5, 0.51, 0.6, 0.9, 0.99, 0.999, 1};
    private static final double[] ALPHAS = {0.001, 0.01, 0.05};

    /** One grid point and SciPy's answers: bound, Φ⁻¹(bound) (NaN where bound is 0), binomial p-value. */
    private record Point(long k, long n, double alpha, double bound, double quantile, double pValue) {}

    private static final List<Point> points = new ArrayList<>();

    @BeforeAll
    static void askScipy() throws IOException, InterruptedException {
        StringBuilder grid = new StringBuilder();
        for (long n : TRIALS) {
            for (double share : SHARES) {
                for (double alpha : ALPHAS) {
                    grid.append(Math.round(share * n)).append(' ').append(n).append(' ').append(alpha).append('\n');
                }
            }
        }
        String script = String.join("\n",
                "import sys",
                "from scipy.stats import beta, norm, binomtest",
                "for line in sys.stdin:",
                "    k, n, a = line.split(); k = int(k); n = int(n); a = float(a)",
                "    b = 0.0 if k == 0 else beta.ppf(a, k, n - k + 1)",
                "    q = repr(float(norm.ppf(b))) if 0 < b < 1 else 'NaN'",
                "    print(k, n, a, repr(float(b)), q, repr(float(binomtest(k, n, 0.5).pvalue)))");
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
        p.getOutputStream().write(grid.toString().getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "SciPy (apt-get install python3-scipy) failed: " + out);
        for (String line : out.strip().split("\n")) {
            String[] f = line.trim().split(" ");
            points.add(new Point(Long.parseLong(f[0]), Long.parseLong(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5])));
        }
        assertEquals(TRIALS.length * SHARES.length * ALPHAS.length, points.size(), out);
    }

    @Test
    void clopperPearsonLowerBoundIsScipys() {
        double worst = 0;
        for (Point p : points) {
            double error = Math.abs(ClopperPearson.lowerBound(p.k(), p.n(), p.alpha()) - p.bound());
            worst = Math.max(worst, error);
            assertTrue(error < 1e-12, p + ": Gibbon " + ClopperPearson.lowerBound(p.k(), p.n(), p.alpha()));
        }
        System.out.printf("Clopper-Pearson lower bound vs SciPy: %d points, max abs error %.3g%n", points.size(), worst);
    }

    @Test
    void normalQuantileIsScipys() {
        double worst = 0;
        int checked = 0;
        for (Point p : points) {
            if (!Double.isNaN(p.quantile())) {
                double error = Math.abs(StandardNormal.quantile(p.bound()) - p.quantile());
                worst = Math.max(worst, error);
                assertTrue(error < 1e-13 * Math.max(1, Math.abs(p.quantile())), p + ": Gibbon "
                        + StandardNormal.quantile(p.bound()));
                checked++;
            }
        }
        assertTrue(checked > 100);
        System.out.printf("Phi^-1 vs SciPy: %d points, max abs error %.3g%n", checked, worst);
    }

    @Test
    void binomialTestIsScipys() {
        double worst = 0;
        for (Point p : points) {
            double error = Math.abs(BinomialTest.twoSidedHalf(p.k(), p.n()) - p.pValue());
            worst = Math.max(worst, error);
            assertTrue(error < 1e-12 + 1e-9 * p.pValue(), p + ": Gibbon " + BinomialTest.twoSidedHalf(p.k(), p.n()));
        }
        System.out.printf("two-sided binomial test vs SciPy: %d points, max abs error %.3g%n", points.size(), worst);
    }
}
