package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Random numbers for one batch under one (attack, epsilon), with one independent stream per
 * example seeded from (run seed, example id, attack, epsilon). An example's noise therefore does not
 * depend on which batch, partition or task attempt it lands in: a retried task writes identical
 * rows.
 */
public final class ExampleRandom {
    private final SplittableRandom[] streams;

    private ExampleRandom(SplittableRandom[] streams) {
        this.streams = streams;
    }

    public static ExampleRandom of(long runSeed, long[] exampleIds, String attack, double epsilon) {
        double[] epsilons = new double[exampleIds.length];
        java.util.Arrays.fill(epsilons, epsilon);
        return of(runSeed, exampleIds, attack, epsilons);
    }

    /** Streams for examples that each have their own epsilon (a minimal-epsilon search). */
    public static ExampleRandom of(long runSeed, long[] exampleIds, String attack, double[] epsilons) {
        long attackHash = 1125899906842597L;
        for (byte b : attack.getBytes(StandardCharsets.UTF_8)) {
            attackHash = 31 * attackHash + b;
        }
        SplittableRandom[] streams = new SplittableRandom[exampleIds.length];
        for (int i = 0; i < exampleIds.length; i++) {
            long seed = mix(mix(mix(runSeed) ^ exampleIds[i]) ^ attackHash) ^ Double.doubleToLongBits(epsilons[i]);
            streams[i] = new SplittableRandom(mix(seed));
        }
        return new ExampleRandom(streams);
    }

    /** SplitMix64's finaliser: spreads nearby inputs over the whole 64-bit range. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Uniform noise in [low, high), shape (batch, exampleShape...). */
    public NDArray uniform(NDManager manager, Shape exampleShape, float low, float high) {
        int size = (int) exampleShape.size();
        float[] values = new float[streams.length * size];
        for (int i = 0; i < streams.length; i++) {
            SplittableRandom r = streams[i];
            for (int j = 0; j < size; j++) {
                values[i * size + j] = low + (high - low) * (float) r.nextDouble();
            }
        }
        return manager.create(values, batchShape(exampleShape));
    }

    /** Standard normal noise, shape (batch, exampleShape...). */
    public NDArray normal(NDManager manager, Shape exampleShape) {
        int size = (int) exampleShape.size();
        float[] values = new float[streams.length * size];
        for (int i = 0; i < streams.length; i++) {
            SplittableRandom r = streams[i];
            for (int j = 0; j < size; j++) {
                values[i * size + j] = (float) r.nextGaussian();
            }
        }
        return manager.create(values, batchShape(exampleShape));
    }

    /** One uniform number in [0, 1) per example, shape (batch). */
    public NDArray uniformPerExample(NDManager manager) {
        float[] values = new float[streams.length];
        for (int i = 0; i < streams.length; i++) {
            values[i] = (float) streams[i].nextDouble();
        }
        return manager.create(values);
    }

    private Shape batchShape(Shape exampleShape) {
        return new Shape(streams.length).addAll(exampleShape);
    }
}
