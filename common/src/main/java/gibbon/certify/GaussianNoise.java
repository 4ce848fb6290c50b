package gibbon.certify;

import gibbon.attack.ExampleRandom;
import java.util.SplittableRandom;

/**
 * The noise N(0, σ²I) of one input's samples, each sample a stream of its own seeded from (run
 * seed, example id, σ, sample index). A sample's noise therefore does not depend on which chunk,
 * batch, task or attempt draws it: any split of the samples, and any retry, gives the same counts.
 */
public final class GaussianNoise {
    private final long key;
    private final float sigma;

    private GaussianNoise(long key, float sigma) {
        this.key = key;
        this.sigma = sigma;
    }

    /** The noise of one example at one σ (σ > 0, in [0, 1] pixel units). */
    public static GaussianNoise of(long runSeed, long exampleId, double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("sigma " + sigma + " is not a positive number");
        }
        long key = ExampleRandom.mix(ExampleRandom.mix(ExampleRandom.mix(runSeed) ^ exampleId) ^ Double.doubleToLongBits(sigma));
        return new GaussianNoise(key, (float) sigma);
    }

    public float sigma() {
        return sigma;
    }

    /**
     * Writes sample {@code index} of the noisy input, clean + σ·ε, into {@code out} from
     * {@code offset}: no clipping to [0, 1], as in the paper, and no normalisation, which the
     * model applies itself.
     */
    public void noisy(long index, float[] clean, float[] out, int offset) {
        SplittableRandom r = new SplittableRandom(ExampleRandom.mix(key ^ ExampleRandom.mix(index ^ 0x5DEECE66DL)));
        for (int j = 0; j < clean.length; j++) {
            out[offset + j] = clean[j] + sigma * (float) r.nextGaussian();
        }
    }
}
