package gibbon.attack;

import ai.djl.ndarray.NDArray;
import java.io.Serializable;

/**
 * Which class a targeted attack aims at, per example: none (untargeted), the class the model finds
 * least likely on the clean input, a random class other than the true one, or one given class.
 * The random class comes from the example's epsilon-free stream, so it is the same at every
 * epsilon of a sweep and under bisection.
 *
 * @param spec {@code none}, {@code least-likely}, {@code random} or a class index
 */
record TargetChoice(String spec) implements Serializable {
    static final String PARAMETER = "target";
    static final String NONE = "none";
    static final String LEAST_LIKELY = "least-likely";
    static final String RANDOM = "random";

    static AttackParameter parameter() {
        return AttackParameter.choice(PARAMETER, NONE, NONE + "|" + LEAST_LIKELY + "|" + RANDOM + "|[0-9]+",
                "none (untargeted), least-likely, random (seeded, never the true class) or a class index");
    }

    static TargetChoice of(AttackParams p) {
        return new TargetChoice(p.text(PARAMETER));
    }

    boolean targeted() {
        return !spec.equals(NONE);
    }

    /**
     * Each example's target class.
     *
     * @param cleanLogits the model's logits on the clean batch (for least-likely)
     */
    int[] choose(NDArray cleanLogits, int[] labels, ExampleRandom random) {
        int classes = (int) cleanLogits.getShape().get(1);
        int[] out = new int[labels.length];
        switch (spec) {
            case LEAST_LIKELY -> out = Rows.argMax(cleanLogits.neg());
            case RANDOM -> out = random.otherClasses(classes, labels);
            default -> {
                int c = Integer.parseInt(spec);
                if (c >= classes) {
                    throw new IllegalArgumentException("target class " + c + " does not exist: the model has " + classes
                            + " classes");
                }
                java.util.Arrays.fill(out, c);
            }
        }
        return out;
    }
}
