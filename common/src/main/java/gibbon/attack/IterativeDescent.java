package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;

/**
 * The step loop shared by the iterative attacks (BIM, PGD, PGD-L2). With early stopping, an example
 * leaves the batch at the first iterate that fools the model (reaches the target, when targeted)
 * and keeps that iterate: for robust accuracy at a fixed budget it is as good as any later one,
 * AutoAttack attacks only still-robust points for the same reason, and the shrinking batch makes
 * every later step cheaper. The check costs nothing: it reads the logits of the forward pass the
 * step's gradient needs anyway.
 */
final class IterativeDescent {
    /** One step from the current iterates, for the rows still in the batch. */
    interface Step {
        /**
         * @param adv current iterates
         * @param gradient the loss gradient at {@code adv}
         * @param x the clean inputs of the same rows
         * @param epsilon their budgets, shape (rows, 1, 1, 1)
         * @param alpha their step sizes, same shape (negated when targeted)
         * @return the next iterates, inside the ball and [0, 1]
         */
        NDArray apply(NDArray adv, NDArray gradient, NDArray x, NDArray epsilon, NDArray alpha);
    }

    private IterativeDescent() {}

    /**
     * Runs {@code steps} steps from {@code start}, ascending the cross-entropy of {@code aim} (the
     * true classes), or descending it when {@code targeted} ({@code aim} then holds the targets).
     *
     * @return the iterates, one per row of {@code x}: the first fooling one, or the last
     */
    static NDArray run(TargetModel model, NDArray x, NDArray aim, boolean targeted, NDArray epsilon, NDArray alpha,
            NDArray start, int steps, boolean earlyStop, Step step) {
        if (!earlyStop) {
            NDArray adv = start;
            for (int s = 0; s < steps; s++) {
                try (NDScope scope = new NDScope()) {
                    NDArray next = step.apply(adv, model.lossGradient(adv, aim), x, epsilon, alpha);
                    Rows.carry(new NDArray[] {adv}, next);
                    adv = next;
                }
            }
            return adv;
        }
        int[] rows = new int[(int) x.getShape().get(0)];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i;
        }
        int[] aims = Rows.ints(aim);
        // The active rows' arrays; row j of each belongs to batch row rows[j].
        NDArray xs = x;
        NDArray ys = aim;
        NDArray es = epsilon;
        NDArray as = alpha;
        NDArray adv = start;
        NDArray result = start;
        for (int s = 0; s < steps && rows.length > 0; s++) {
            try (NDScope scope = new NDScope()) {
                NDArray[] before = {xs, ys, es, as, adv, result};
                NDArray classes = ys;
                TargetModel.Gradient g = model.gradient(adv, logits -> Losses.crossEntropy(logits, classes));
                int[] predicted = Rows.argMax(g.logits());
                boolean[] done = new boolean[rows.length];
                boolean any = false;
                for (int j = 0; j < rows.length; j++) {
                    done[j] = targeted ? predicted[j] == aims[j] : predicted[j] != aims[j];
                    any |= done[j];
                }
                NDArray gradient = g.gradient();
                if (any) {
                    int[] finished = Rows.where(done);
                    int[] finishedRows = new int[finished.length];
                    for (int j = 0; j < finished.length; j++) {
                        finishedRows[j] = rows[finished[j]];
                    }
                    result = Rows.scatter(result, finishedRows, Rows.select(adv, finished));
                    boolean[] open = new boolean[rows.length];
                    for (int j = 0; j < rows.length; j++) {
                        open[j] = !done[j];
                    }
                    int[] keep = Rows.where(open);
                    int[] kept = new int[keep.length];
                    int[] keptAims = new int[keep.length];
                    for (int j = 0; j < keep.length; j++) {
                        kept[j] = rows[keep[j]];
                        keptAims[j] = aims[keep[j]];
                    }
                    rows = kept;
                    aims = keptAims;
                    if (rows.length == 0) {
                        Rows.carry(before, x, aim, epsilon, alpha, start, result);
                        break;
                    }
                    xs = Rows.select(xs, keep);
                    ys = Rows.select(ys, keep);
                    es = Rows.select(es, keep);
                    as = Rows.select(as, keep);
                    adv = Rows.select(adv, keep);
                    gradient = Rows.select(gradient, keep);
                }
                adv = step.apply(adv, gradient, xs, es, as);
                // Arrays the caller owns (x, aim, ...) are listed so that carry never frees them.
                Rows.carry(before, x, aim, epsilon, alpha, start, xs, ys, es, as, adv, result);
            }
        }
        if (rows.length == 0) {
            return result;
        }
        if (result == start) {
            return adv;
        }
        NDArray last = Rows.scatter(result, rows, adv);
        if (adv != start) {
            adv.close();
        }
        return last;
    }
}
