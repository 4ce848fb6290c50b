package gibbon.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExampleRandomTest {
    private static float[] noise(long seed, long[] ids, String attack, double eps) {
        try (NDManager m = NDManager.newBaseManager()) {
            return ExampleRandom.of(seed, ids, attack, eps).uniform(m, new Shape(4), -1f, 1f).toFloatArray();
        }
    }

    @Test
    void anExamplesNoiseDoesNotDependOnItsBatch() {
        float[] alone = noise(1, new long[] {42}, "pgd", 0.1);
        float[] inBatch = noise(1, new long[] {7, 42, 9}, "pgd", 0.1);
        assertArrayEquals(alone, Arrays.copyOfRange(inBatch, 4, 8));
    }

    @Test
    void seedAttackAndEpsilonEachChangeTheNoise() {
        float[] base = noise(1, new long[] {42}, "pgd", 0.1);
        assertFalse(Arrays.equals(base, noise(2, new long[] {42}, "pgd", 0.1)));
        assertFalse(Arrays.equals(base, noise(1, new long[] {42}, "pgd_l2", 0.1)));
        assertFalse(Arrays.equals(base, noise(1, new long[] {42}, "pgd", 0.2)));
        assertFalse(Arrays.equals(base, noise(1, new long[] {43}, "pgd", 0.1)));
        for (float v : base) {
            assertTrue(v >= -1f && v < 1f);
        }
    }
}
