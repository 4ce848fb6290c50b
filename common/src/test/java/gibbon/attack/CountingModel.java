package gibbon.attack;

import ai.djl.ndarray.NDArray;
import gibbon.model.Classifier;
import gibbon.model.TargetModel;

/** Counts the images that pass through gradient computations. */
final class CountingModel implements TargetModel {
    private final Classifier inner;
    long rows;

    CountingModel(Classifier inner) {
        this.inner = inner;
    }

    @Override
    public NDArray logits(NDArray x) {
        return inner.logits(x);
    }

    @Override
    public NDArray lossGradient(NDArray x, NDArray labels) {
        rows += x.getShape().get(0);
        return inner.lossGradient(x, labels);
    }

    @Override
    public Gradient gradient(NDArray x, LogitLoss loss) {
        rows += x.getShape().get(0);
        return inner.gradient(x, loss);
    }
}
