package gibbon.metrics;

import java.io.Serializable;

/**
 * The model's answer on one example under one (attack, epsilon): a row of the {@code predictions}
 * table, plus whether the clean input was classified correctly (needed for the attack success
 * rate).
 *
 * @param linf the L-infinity size of the perturbation actually applied (after clipping)
 * @param l2 its L2 size
 * @param minEpsilon the example's smallest budget at which this attack fools the model: the first
 *     wrong epsilon of the sweep, refined by bisection when asked; 0 when the clean input is already
 *     wrong, NaN when no epsilon of the sweep fools it. The same on every row of (example, attack).
 * @param target the class a targeted attack aimed at (for APGD-T, FAB-T and the ensemble: the
 *     target of the run that broke the example), null when it aimed at none
 * @param targetHit whether {@code predicted} is that target, null without a target
 * @param brokenBy the ensemble component that broke the example, null for attacks without
 *     components and for examples none broke
 * @param adversarial the input the model judged (the clean input at epsilon 0), float32 in [0, 1]
 *     flattened (channels, rows, columns), for the sampled examples only; null for the others
 */
public record PredictionRecord(long exampleId, int label, String attack, String norm, double epsilon,
        int predicted, boolean correct, float confidence, float trueClassProb, float linf, float l2,
        boolean cleanCorrect, double minEpsilon, Integer target, Boolean targetHit, String brokenBy,
        float[] adversarial)
        implements Serializable {}
