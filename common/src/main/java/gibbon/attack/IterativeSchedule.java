package gibbon.attack;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Steps and step size of an iterative attack. The step size is absolute ({@code step-size}) or a
 * fraction of epsilon ({@code relative-step-size}); the two are alternatives, so setting one turns
 * the other's default off, and setting both above 0 is a config error. With neither it is
 * 2.5 * epsilon / steps, the choice of Madry et al. that lets the iterate cross the ball and come back. Where an attack allows
 * {@code steps = 0}, the count follows Kurakin et al.: min(255 * epsilon + 4, 1.25 * 255 * epsilon).
 * With {@code early-stop} (the default) an example stops at its first fooling iterate
 * ({@link IterativeDescent}).
 */
record IterativeSchedule(int steps, double stepSize, double relativeStepSize, boolean randomStart, boolean earlyStop) {
    static final String STEPS = "steps";
    static final String STEP_SIZE = "step-size";
    static final String RELATIVE_STEP_SIZE = "relative-step-size";
    static final String RANDOM_START = "random-start";
    static final String EARLY_STOP = "early-stop";
    private static final String STEP_SIZE_ALTERNATIVES = "step size";

    static List<AttackParameter> parameters(int defaultSteps, boolean defaultRandomStart) {
        return parameters(defaultSteps, 1, "gradient steps", 0.0, defaultRandomStart);
    }

    static List<AttackParameter> parameters(int defaultSteps, int minSteps, String stepsDoc, double defaultStepSize,
            boolean defaultRandomStart) {
        return List.of(
                AttackParameter.integer(STEPS, defaultSteps, minSteps, stepsDoc),
                AttackParameter.decimal(STEP_SIZE, defaultStepSize, 0.0,
                        "absolute step size; 0 = use relative-step-size").alternativeIn(STEP_SIZE_ALTERNATIVES),
                AttackParameter.decimal(RELATIVE_STEP_SIZE, 0.0, 0.0,
                        "step size as a fraction of epsilon; 0 = 2.5 / steps").alternativeIn(STEP_SIZE_ALTERNATIVES),
                AttackParameter.flag(RANDOM_START, defaultRandomStart, "start from a uniform random point in the ball"),
                AttackParameter.flag(EARLY_STOP, true,
                        "drop an example from the batch at its first fooling iterate and keep that iterate"));
    }

    static IterativeSchedule of(AttackParams p) {
        return new IterativeSchedule(p.integer(STEPS), p.decimal(STEP_SIZE), p.decimal(RELATIVE_STEP_SIZE),
                p.flag(RANDOM_START), p.flag(EARLY_STOP));
    }

    /** The step count; Kurakin's rule takes the batch's largest epsilon. */
    int stepsFor(NDArray epsilon) {
        if (steps > 0) {
            return steps;
        }
        float largest = epsilon.max().getFloat();
        return Math.max(1, (int) Math.min(255.0 * largest + 4, 1.25 * 255.0 * largest));
    }

    /** Per-example step sizes, shaped like {@code epsilon}. */
    NDArray stepFor(NDArray epsilon) {
        if (stepSize > 0) {
            return epsilon.zerosLike().add((float) stepSize);
        }
        double relative = relativeStepSize > 0 ? relativeStepSize : 2.5 / stepsFor(epsilon);
        return epsilon.mul((float) relative);
    }
}
