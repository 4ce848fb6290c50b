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
    /** Per-example seeds that leave out epsilon: choices that must not change along a sweep. */
    private final long[] epsilonFreeSeeds;

    private ExampleRandom(SplittableRandom[] streams, long[] epsilonFreeSeeds) {
        this.streams = streams;
        this.epsilonFreeSeeds = epsilonFreeSeeds;
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
        long[] epsilonFree = new long[exampleIds.length];
        for (int i = 0; i < exampleIds.length; i++) {
            epsilonFree[i] = mix(mix(mix(runSeed) ^ exampleIds[i]) ^ attackHash);
            streams[i] = new SplittableRandom(mix(epsilonFree[i] ^ Double.doubleToLongBits(epsilons[i])));
        }
        return new ExampleRandom(streams, epsilonFree);
    }

    /**
     * The streams of some examples only (the same stream objects, so draws advance them): lets an
     * attack keep working on a subset of its batch while each example keeps its own sequence.
     */
    public ExampleRandom select(int[] indices) {
        SplittableRandom[] s = new SplittableRandom[indices.length];
        long[] f = new long[indices.length];
        for (int j = 0; j < indices.length; j++) {
            s[j] = streams[indices[j]];
            f[j] = epsilonFreeSeeds[indices[j]];
        }
        return new ExampleRandom(s, f);
    }

    /** One uniform integer in [0, bound) per example. */
    public int[] integers(int bound) {
        int[] out = new int[streams.length];
        for (int i = 0; i < streams.length; i++) {
            out[i] = streams[i].nextInt(bound);
        }
        return out;
    }

    /**
     * One class in [0, classes) per example, uniform over the classes other than {@code exclude[i]},
     * that depends on (run seed, example id, attack) but not on epsilon nor on earlier draws: a
     * random target stays the same across a sweep and a bisection.
     */
    public int[] otherClasses(int classes, int[] exclude) {
        int[] out = new int[streams.length];
        for (int i = 0; i < streams.length; i++) {
            int pick = new SplittableRandom(mix(epsilonFreeSeeds[i] ^ 0x7a3d1b5c9e2f4a61L)).nextInt(classes - 1);
            out[i] = pick >= exclude[i] ? pick + 1 : pick;
        }
        return out;
    }

    /** SplitMix64's finaliser: spreads nearby inputs over the whole 64-bit range. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Uniform noise in [low, high), shape (batch, exampleShape...). */
    public NDArray uniform(NDManager manager, Shape exampleShape, float low, float high) {
        return manager.create(uniformValues((int) exampleShape.size(), low, high), batchShape(exampleShape));
    }

    /** As {@link #uniform}, as a plain array: {@code size} values per example, example after example. */
    public float[] uniformValues(int size, float low, float high) {
        float[] values = new float[streams.length * size];
        for (int i = 0; i < streams.length; i++) {
            SplittableRandom r = streams[i];
            for (int j = 0; j < size; j++) {
                values[i * size + j] = low + (high - low) * (float) r.nextDouble();
            }
        }
        return values;
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
