package gibbon.attack;

import ai.djl.ndarray.NDArray;
import gibbon.model.TargetModel;

/**
 * The baseline that is no attack: uniform random noise in the L-infinity ball. A model that loses
 * much accuracy to this is fragile, not fooled.
 */
public final class UniformNoiseAttack implements Attack {
    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        return Crafted.of(x.add(random.uniform(x.getManager(), x.getShape().slice(1), -1f, 1f).mul(epsilon)));
    }
}
