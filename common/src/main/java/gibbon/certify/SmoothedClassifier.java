package gibbon.certify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import gibbon.data.Example;
import gibbon.model.Classifier;

/**
 * The smoothed classifier g of a base classifier f (Cohen et al. 2019): g(x) is the class f
 * returns most often on x + ε, ε ~ N(0, σ²I). This class does the sampling: it counts f's
 * classes over a range of sample indices of one input, feeding the noisy copies to the model in
 * batches (forward passes only, no gradients), each batch's arrays in a manager closed with it.
 *
 * <p>Batches are cut on a fixed grid of sample indices (multiples of the batch size from the
 * start of the sample set), so two ranges whose edges lie on that grid run exactly the same
 * batches as the range they split: the counts do not depend on how the samples are chunked, not
 * even through the last bit of a batched convolution.
 */
public final class SmoothedClassifier {
    private final Classifier model;
    private final int batchSize;

    /** @param batchSize noisy copies per forward pass */
    public SmoothedClassifier(Classifier model, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize);
        }
        this.model = model;
        this.batchSize = batchSize;
    }

    public int numClasses() {
        return model.metadata().numClasses();
    }

    /**
     * The class counts of samples {@code [from, to)} of an example.
     *
     * @param origin the first sample index of the sample set (selection or estimation) the range
     *     belongs to: batches start at origin + k·batch size
     */
    public long[] counts(Example example, GaussianNoise noise, long origin, long from, long to) {
        if (from < origin || to < from) {
            throw new IllegalArgumentException("samples [" + from + ", " + to + ") of a set starting at " + origin);
        }
        float[] clean = clean(example);
        int[] shape = model.metadata().inputShape();
        long[] counts = new long[numClasses()];
        float[] batch = new float[batchSize * clean.length];
        long start = from;
        while (start < to) {
            long end = Math.min(to, origin + ((start - origin) / batchSize + 1) * batchSize);
            int size = (int) (end - start);
            for (int i = 0; i < size; i++) {
                noise.noisy(start + i, clean, batch, i * clean.length);
            }
            try (NDManager manager = model.newBatchManager()) {
                NDArray x = manager.create(size == batchSize ? batch : java.util.Arrays.copyOf(batch, size * clean.length),
                        new Shape(size, shape[0], shape[1], shape[2]));
                for (long c : model.logits(x).argMax(1).toLongArray()) {
                    counts[(int) c]++;
                }
            }
            start = end;
        }
        return counts;
    }

    /** The example's values in [0, 1]: float32 true division of byte pixels by 255, as torchvision's ToTensor. */
    public static float[] clean(Example example) {
        if (example.values() != null) {
            return example.values();
        }
        float[] out = new float[example.pixels().length];
        for (int j = 0; j < out.length; j++) {
            out[j] = (example.pixels()[j] & 0xff) / 255f;
        }
        return out;
    }
}
