package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;

/**
 * Momentum Iterative FGSM (Dong et al., 2018), L-infinity: signed steps of size epsilon / steps
 * along an accumulated gradient g ← decay · g + ∇L / mean|∇L| (each example's gradient normalised
 * by its mean absolute value), each followed by projection onto the ball and clipping to [0, 1].
 * As torchattacks' MIFGSM, from the clean input. Targeted, it descends the target's cross-entropy.
 */
final class MiFgsmAttack implements Attack {
    private static final float TINY = 1e-12f;
    private final int steps;
    private final float decay;
    private final TargetChoice target;
    private final boolean carryOver;

    /** @param carryOver whether a sweep may reuse an example's adversarial at larger budgets once broken */
    MiFgsmAttack(int steps, double decay, TargetChoice target, boolean carryOver) {
        this.steps = steps;
        this.decay = (float) decay;
        this.target = target;
        this.carryOver = carryOver;
    }

    @Override
    public Carry carry() {
        return Carry.of(carryOver, target.targeted());
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        int[] targets = target.targeted() ? target.choose(model.logits(x), Rows.ints(labels), random) : null;
        NDArray aim = targets == null ? labels : Rows.classes(labels, targets);
        NDArray alpha = epsilon.div((float) steps);
        if (targets != null) {
            alpha = alpha.neg();
        }
        long[] perExample = Norm.broadcastShape(x);
        NDArray adv = x.duplicate();
        NDArray momentum = x.zerosLike();
        for (int step = 0; step < steps; step++) {
            NDArray[] before = {adv, momentum};
            try (NDScope scope = new NDScope()) {
                NDArray grad = model.lossGradient(adv, aim);
                NDArray scale = grad.abs().reshape(perExample[0], -1).mean(new int[] {1}).add(TINY).reshape(perExample);
                momentum = momentum.mul(decay).add(grad.div(scale));
                NDArray moved = adv.add(momentum.sign().mul(alpha));
                adv = x.add(Norm.LINF.project(moved.sub(x), epsilon)).clip(0f, 1f);
                Rows.carry(before, adv, momentum);
            }
        }
        momentum.close();
        return new Crafted(adv, targets, null);
    }
}
