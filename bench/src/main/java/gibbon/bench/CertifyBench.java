package gibbon.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import gibbon.certify.GaussianNoise;
import gibbon.certify.SmoothedClassifier;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.data.Example;
import gibbon.jobs.GibbonSpark;
import gibbon.jobs.RobustnessJob;
import gibbon.model.Classifier;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What randomized smoothing costs (issue #19): its sampling loop (noise drawn as a run draws it,
 * forward passes, class counts) against the plain forward pass of the same model and batch on
 * clean copies, the bar it is held to since smoothing is inference; and the certification stage on
 * Spark at local[1] and local[2]. Times are printed, never asserted.
 */
final class CertifyBench {
    private CertifyBench() {}

    /** Plain forward passes with the class read back, on copies of one input: samples per second. */
    static double forward(Classifier model, Example example, int batch, long samples) {
        float[] clean = SmoothedClassifier.clean(example);
        float[] data = new float[batch * clean.length];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(clean, 0, data, i * clean.length, clean.length);
        }
        int[] shape = model.metadata().inputShape();
        long[] counts = new long[model.metadata().numClasses()];
        long start = System.nanoTime();
        long done = 0;
        while (done < samples) {
            try (NDManager manager = model.newBatchManager()) {
                NDArray x = manager.create(data, new Shape(batch, shape[0], shape[1], shape[2]));
                for (long c : model.logits(x).argMax(1).toLongArray()) {
                    counts[(int) c]++;
                }
            }
            done += batch;
        }
        return done / ((System.nanoTime() - start) / 1e9);
    }

    /** Smoothing's sampling loop over {@code samples} noisy copies of one input: samples per second. */
    static double smoothed(Classifier model, Example example, int batch, double sigma, long samples) {
        SmoothedClassifier g = new SmoothedClassifier(model, batch);
        GaussianNoise noise = GaussianNoise.of(1, example.id(), sigma);
        long start = System.nanoTime();
        g.counts(example, noise, 0, 0, samples);
        return samples / ((System.nanoTime() - start) / 1e9);
    }

    /** Drawing the noisy copies alone, as the sampling loop draws them: samples per second. */
    static double noise(Example example, double sigma, long samples) {
        GaussianNoise noise = GaussianNoise.of(1, example.id(), sigma);
        float[] clean = SmoothedClassifier.clean(example);
        float[] out = new float[clean.length];
        long start = System.nanoTime();
        for (long i = 0; i < samples; i++) {
            noise.noisy(i, clean, out, 0);
        }
        return samples / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Noisy samples per second of the certification stage of a run on {@code master}: the run's time
     * with certification less the same run's without, so start-up, the attack and the writes cancel.
     */
    static double sparkRate(String master, Path warehouse, int examples, int n) {
        double[] seconds = new double[2];
        long samples = 0;
        // The first run of a session pays for its start: a run without certification absorbs it.
        for (int certify = -1; certify < 2; certify++) {
            ExperimentConfig config = ConfigLoader.load(Path.of("conf", "certify.conf"), List.of(
                    "spark.master=\"" + master + "\"", "dataset.limit=" + examples, "output.warehouse=" + warehouse,
                    "attacks.pgd_l2.steps=1", "certify.n=" + n, "certify.enabled=" + (certify == 1),
                    "output.adversarial-fraction=0"));
            samples = examples * config.certify().sigmas().size() * (config.certify().n0() + (long) n);
            double took = new RobustnessJob(config, new PrintStream(OutputStream.nullOutputStream()), null, false)
                    .run().seconds();
            if (certify >= 0) {
                seconds[certify] = took;
            }
        }
        GibbonSpark.stopIfRunning();
        return samples / Math.max(seconds[1] - seconds[0], 1e-9);
    }
}
