package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;
import java.util.Arrays;

/**
 * Runs an attack several times (restarts, or one run per target class) and keeps each example's
 * worst case: every attempt after the first runs only on the examples no attempt has broken yet,
 * and an example keeps the result of the attempt with the highest score. A score above 0 means
 * broken; by default it is the margin of the true class (untargeted) or of the target class.
 */
final class Attempts {
    private Attempts() {}

    /** One attempt on a subset of the batch. */
    @FunctionalInterface
    interface Attempt {
        /**
         * @param attempt 0, 1, ... in order
         * @param rows the subset: indices into the batch
         * @param x the subset's clean inputs; labels, epsilon and random likewise for the subset
         */
        Result run(int attempt, int[] rows, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random);
    }

    /**
     * @param adversarial the attempt's inputs for its subset
     * @param targets per row the class aimed at, or null if untargeted
     * @param score per row, above 0 when broken; null for the default margin score
     */
    record Result(NDArray adversarial, int[] targets, float[] score) {
        Result(NDArray adversarial, int[] targets) {
            this(adversarial, targets, null);
        }
    }

    /**
     * @param mustHitTarget whether breaking means reaching the target class (targeted FGSM/PGD)
     *     rather than any wrong class (APGD-T, FAB-T)
     */
    static Attack.Crafted best(TargetModel model, int attempts, boolean mustHitTarget, NDArray x, NDArray labels,
            NDArray epsilon, ExampleRandom random, Attempt attempt) {
        int n = (int) x.getShape().get(0);
        float[] bestScore = new float[n];
        Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
        int[] bestTarget = null;
        NDArray best = null;
        int[] active = Rows.where(filled(n));
        for (int a = 0; a < attempts && active.length > 0; a++) {
            boolean all = active.length == n;
            NDArray next;
            try (NDScope scope = new NDScope()) {
                NDArray xs = all ? x : Rows.select(x, active);
                NDArray ys = all ? labels : Rows.select(labels, active);
                NDArray es = all ? epsilon : Rows.select(epsilon, active);
                Result r = attempt.run(a, active, xs, ys, es, all ? random : random.select(active));
                float[] score = r.score() != null ? r.score() : margins(model, r.adversarial(), ys, r.targets(), mustHitTarget);
                boolean[] improved = new boolean[active.length];
                for (int j = 0; j < active.length; j++) {
                    int i = active[j];
                    improved[j] = best == null || score[j] > bestScore[i];
                    if (improved[j]) {
                        bestScore[i] = score[j];
                        if (r.targets() != null) {
                            if (bestTarget == null) {
                                bestTarget = new int[n];
                                Arrays.fill(bestTarget, Attack.Crafted.NO_TARGET);
                            }
                            bestTarget[i] = r.targets()[j];
                        }
                    }
                }
                int[] rows = Rows.where(improved);
                next = best == null ? r.adversarial()
                        : Rows.scatter(best, Rows.pick(active, rows), Rows.select(r.adversarial(), rows));
                NDScope.unregister(next);
            }
            if (best != null && best != next) {
                best.close();
            }
            best = next;
            boolean[] open = new boolean[n];
            for (int i = 0; i < n; i++) {
                open[i] = !(bestScore[i] > 0);
            }
            active = Rows.where(open);
        }
        return new Attack.Crafted(best, bestTarget, null);
    }

    private static boolean[] filled(int n) {
        boolean[] b = new boolean[n];
        Arrays.fill(b, true);
        return b;
    }

    /** Margin of the wrong classes over the true class, or of the target over all others. */
    static float[] margins(TargetModel model, NDArray adversarial, NDArray labels, int[] targets, boolean mustHitTarget) {
        NDArray logits = model.logits(adversarial);
        if (mustHitTarget && targets != null) {
            return Losses.margin(logits, Rows.classes(labels, targets)).neg().toFloatArray();
        }
        return Losses.margin(logits, labels).toFloatArray();
    }
}
