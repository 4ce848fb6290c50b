package gibbon.attack;

import ai.djl.ndarray.NDArray;
import gibbon.model.TargetModel;

/**
 * FGSM with a random start (Wong, Rice and Kolter, <i>Fast is better than free: revisiting
 * adversarial training</i>, ICLR 2020), L-infinity: from a uniform point of the epsilon-ball
 * (clipped to [0, 1]), one step of {@code stepFactor} times epsilon along the sign of the loss
 * gradient there. The step overshoots the ball on purpose; the {@link Crafter} projects it back.
 */
final class FgsmRsAttack implements Attack {
    private final float stepFactor;

    /** @param stepFactor the step as a multiple of epsilon (the paper's alpha = 1.25 epsilon) */
    FgsmRsAttack(double stepFactor) {
        this.stepFactor = (float) stepFactor;
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        NDArray start = x.add(random.uniform(x.getManager(), x.getShape().slice(1), -1f, 1f).mul(epsilon)).clip(0f, 1f);
        NDArray step = model.lossGradient(start, labels).sign().mul(epsilon).mul(stepFactor);
        return Crafted.of(start.add(step));
    }
}
