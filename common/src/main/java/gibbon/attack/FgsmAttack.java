package gibbon.attack;

import ai.djl.ndarray.NDArray;

/**
 * Fast Gradient Sign Method (Goodfellow et al., 2015), L-infinity: one step of size epsilon along
 * the sign of the loss gradient.
 */
public final class FgsmAttack implements Attack {
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
        return x.add(model.lossGradient(x, labels).sign().mul(epsilon));
    }
}
