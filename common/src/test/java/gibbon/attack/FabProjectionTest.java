package gibbon.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * FAB's box-constrained projection onto a hyperplane, computed in closed form: the point lies in
 * the box and on the plane where the box reaches it, no point along the same path closer to the
 * start reaches the plane, and where the box cannot reach the plane the path ends at the box face.
 */
class FabProjectionTest {
    private static final int ROWS = 6;
    private static final int FEATURES = 2 * 5 * 5;

    @Test
    void linfAndL2LandOnThePlaneInsideTheBoxAndNoEarlier() {
        for (Norm norm : new Norm[] {Norm.LINF, Norm.L2}) {
            FabAttack fab = new FabAttack(norm, 1, 1, 1.05, 0.9, 0.1);
            Random random = new Random(7);
            float[] p = new float[ROWS * FEATURES];
            float[] w = new float[ROWS * FEATURES];
            float[] level = new float[ROWS];
            for (int e = 0; e < ROWS; e++) {
                double dot = 0;
                for (int i = 0; i < FEATURES; i++) {
                    p[e * FEATURES + i] = random.nextFloat();
                    // A few zero weights: those coordinates never move.
                    w[e * FEATURES + i] = i % 7 == 0 ? 0f : (float) random.nextGaussian();
                    dot += p[e * FEATURES + i] * w[e * FEATURES + i];
                }
                // Rows 0-3 reachable (small gaps of both signs), rows 4-5 beyond what the box allows.
                level[e] = (float) (dot + (e < 4 ? (e % 2 == 0 ? 0.5 : -0.7) : (e == 4 ? 1e4 : -1e4)));
            }
            float[] zs = new float[ROWS * FEATURES];
            float[] delta = new float[FEATURES];
            for (int e = 0; e < ROWS; e++) {
                double gap = level[e];
                for (int i = 0; i < FEATURES; i++) {
                    gap -= (double) w[e * FEATURES + i] * p[e * FEATURES + i];
                }
                fab.towardPlane(p, w, e * FEATURES, FEATURES, gap, new double[FEATURES], new double[FEATURES], delta);
                for (int i = 0; i < FEATURES; i++) {
                    zs[e * FEATURES + i] = p[e * FEATURES + i] + delta[i];
                }
            }
            for (int e = 0; e < ROWS; e++) {
                double dot = 0;
                for (int i = 0; i < FEATURES; i++) {
                    int k = e * FEATURES + i;
                    assertTrue(zs[k] >= -1e-6f && zs[k] <= 1f + 1e-6f, norm + " row " + e + " leaves the box");
                    dot += zs[k] * w[k];
                    if (w[k] == 0f) {
                        assertEquals(p[k], zs[k], 0f, norm + ": a coordinate with zero weight moved");
                    }
                }
                if (e < 4) {
                    assertEquals(level[e], dot, 1e-3 * Math.max(1, Math.abs(level[e])), norm + " row " + e + " off the plane");
                    assertTrue(notReachedSooner(norm, p, w, level[e], e, zs), norm + " row " + e + " went further than needed");
                } else {
                    for (int i = 0; i < FEATURES; i++) {
                        int k = e * FEATURES + i;
                        if (w[k] != 0f) {
                            assertEquals(w[k] * Math.signum(level[e]) > 0 ? 1f : 0f, zs[k], 1e-6f,
                                    norm + " row " + e + ": an unreachable plane ends at the box face");
                        }
                    }
                }
            }
        }
    }

    /**
     * The selection finds the same crossing as a pass over the faces in sorted order (the
     * reference's way), with ties (pixels at the same box face, equal weights) and with planes the
     * faces do not reach.
     */
    @Test
    void crossingMatchesTheSortedPass() {
        Random random = new Random(11);
        for (int trial = 0; trial < 2000; trial++) {
            int m = 1 + random.nextInt(trial % 3 == 0 ? 8 : 800);
            double[] a = new double[m];
            double[] c = new double[m];
            double total = 0;
            for (int k = 0; k < m; k++) {
                a[k] = random.nextInt(4) == 0 ? 0.5 : random.nextDouble();
                c[k] = random.nextInt(3) == 0 ? random.nextInt(3) * 0.5 : random.nextDouble();
                total += a[k] * c[k];
            }
            double need = total * (random.nextDouble() * 1.2);
            double expected = sortedCrossing(need, a.clone(), c.clone());
            double actual = FabAttack.crossing(need, a, c, m);
            if (Double.isInfinite(expected)) {
                assertTrue(Double.isInfinite(actual), "trial " + trial + ": " + actual + " for an unreachable gap");
            } else {
                assertEquals(expected, actual, 1e-9 * Math.max(1, expected), "trial " + trial);
            }
        }
    }

    private static double sortedCrossing(double need, double[] a, double[] c) {
        Integer[] order = new Integer[a.length];
        double slope = 0;
        for (int k = 0; k < a.length; k++) {
            order[k] = k;
            slope += a[k];
        }
        Arrays.sort(order, (i, j) -> Double.compare(c[i], c[j]));
        double reached = 0;
        for (int i : order) {
            if (reached + slope * c[i] >= need) {
                return need == 0 ? 0 : (need - reached) / slope;
            }
            reached += a[i] * c[i];
            slope -= a[i];
        }
        return Double.POSITIVE_INFINITY;
    }

    /**
     * The path's parameter t at z (the L-infinity radius, or the L2 multiplier) is the largest
     * |z_i − p_i| (over |v_i| for L2); at 0.99·t the same path must fall short of the plane.
     */
    private static boolean notReachedSooner(Norm norm, float[] p, float[] w, float level, int e, float[] z) {
        double gap = level;
        for (int i = 0; i < FEATURES; i++) {
            gap -= (double) p[e * FEATURES + i] * w[e * FEATURES + i];
        }
        double t = 0;
        for (int i = 0; i < FEATURES; i++) {
            int k = e * FEATURES + i;
            if (w[k] != 0f) {
                double moved = Math.abs(z[k] - p[k]);
                t = Math.max(t, norm == Norm.LINF ? moved : moved / Math.abs(w[k]));
            }
        }
        double gain = 0;
        for (int i = 0; i < FEATURES; i++) {
            int k = e * FEATURES + i;
            double v = w[k] * Math.signum(gap);
            double step = norm == Norm.LINF ? Math.signum(v) * 0.99 * t : v * 0.99 * t;
            gain += v * (Math.min(1, Math.max(0, p[k] + step)) - p[k]);
        }
        return gain < Math.abs(gap);
    }
}
