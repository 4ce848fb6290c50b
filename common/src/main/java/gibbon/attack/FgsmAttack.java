package gibbon.attack;

import ai.djl.ndarray.NDArray;

/**
 * Fast Gradient Sign Method (Goodfellow et al., 2015), L-infinity: one step of size epsilon along
 * the sign of the loss gradient. Targeted (Kurakin et al., 2017), it steps down the cross-entropy
 * of the target class instead.
 */
public final class FgsmAttack implements Attack {
    private final TargetChoice target;

    /** Untargeted FGSM. */
    public FgsmAttack() {
        this(new TargetChoice(TargetChoice.NONE));
    }

    FgsmAttack(TargetChoice target) {
        this.target = target;
    }

    @Override
    public Norm norm() {
        return Norm.LINF;
    }

    @Override
    public boolean needsGradients() {
        return true;
    }

    @Override
    public NDArray perturb(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        return craft(model, x, labels, epsilon, random).adversarial();
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        if (!target.targeted()) {
            return new Crafted(x.add(model.lossGradient(x, labels).sign().mul(epsilon)), null, null);
        }
        int[] targets = target.choose(model.logits(x), Rows.ints(labels), random);
        NDArray toward = model.lossGradient(x, Rows.classes(labels, targets)).sign().mul(epsilon);
        return new Crafted(x.sub(toward), targets, null);
    }
}
