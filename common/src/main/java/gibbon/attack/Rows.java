package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Row selection and scatter along the batch axis, so that an attack can keep working on only the
 * examples it has not yet broken.
 */
final class Rows {
    private Rows() {}

    /** The rows at {@code indices}, in that order. */
    static NDArray select(NDArray batch, int[] indices) {
        long[] idx = new long[indices.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = indices[i];
        }
        return batch.get("{}", batch.getManager().create(idx));
    }

    /**
     * {@code base} with its rows at {@code indices} replaced by the rows of {@code update} (row j of
     * update goes to row indices[j]); a new array, neither input changes.
     */
    static NDArray scatter(NDArray base, int[] indices, NDArray update) {
        int n = (int) base.getShape().get(0);
        long[] source = new long[n];
        for (int i = 0; i < n; i++) {
            source[i] = i;
        }
        for (int j = 0; j < indices.length; j++) {
            source[indices[j]] = n + j;
        }
        NDArray both = base.concat(update.toType(base.getDataType(), false), 0);
        return both.get("{}", base.getManager().create(source));
    }

    /** The entries of {@code values} at the indices {@code at}. */
    static int[] pick(int[] values, int[] at) {
        int[] out = new int[at.length];
        for (int j = 0; j < at.length; j++) {
            out[j] = values[at[j]];
        }
        return out;
    }

    /** As {@link #pick(int[], int[])}, for example ids. */
    static long[] pick(long[] values, int[] at) {
        long[] out = new long[at.length];
        for (int j = 0; j < at.length; j++) {
            out[j] = values[at[j]];
        }
        return out;
    }

    /** The indices where {@code flags} is true. */
    static int[] where(boolean[] flags) {
        int count = 0;
        for (boolean f : flags) {
            count += f ? 1 : 0;
        }
        int[] out = new int[count];
        for (int i = 0, j = 0; i < flags.length; i++) {
            if (flags[i]) {
                out[j++] = i;
            }
        }
        return out;
    }

    /** Argmax per row as Java ints. */
    static int[] argMax(NDArray logits) {
        return logits.argMax(1).toType(DataType.INT32, false).toIntArray();
    }

    /** Each example's classes from the highest logit down (the targets of APGD-T and FAB-T). */
    static int[][] ranked(NDArray logits) {
        int n = (int) logits.getShape().get(0);
        int classes = (int) logits.getShape().get(1);
        int[] order = ints(logits.argSort(1, false));
        int[][] out = new int[n][classes];
        for (int i = 0; i < n; i++) {
            System.arraycopy(order, i * classes, out[i], 0, classes);
        }
        return out;
    }

    /** A per-example boolean as a float mask broadcastable over a batch shaped like {@code like}. */
    static NDArray mask(NDArray like, boolean[] flags) {
        float[] values = new float[flags.length];
        for (int i = 0; i < flags.length; i++) {
            values[i] = flags[i] ? 1f : 0f;
        }
        return like.getManager().create(values).reshape(Norm.broadcastShape(like));
    }

    /** Where the mask (from {@link #mask}) is 1, {@code a}; elsewhere {@code b}. */
    static NDArray choose(NDArray mask, NDArray a, NDArray b) {
        return a.mul(mask).add(b.mul(mask.neg().add(1f)));
    }

    /** An integer array (labels, classes) as Java ints. */
    static int[] ints(NDArray classes) {
        return classes.toType(DataType.INT32, false).toIntArray();
    }

    /** Java ints as an INT32 array on the manager of {@code like}. */
    static NDArray classes(NDArray like, int[] values) {
        return like.getManager().create(values);
    }

    /**
     * Ends one step of an iterative attack inside its {@link ai.djl.ndarray.NDScope}: the arrays of
     * {@code after} survive the scope, and those of {@code before} that are no longer in use are
     * freed now rather than with the batch.
     */
    static void carry(NDArray[] before, NDArray... after) {
        java.util.Set<NDArray> kept = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (NDArray a : after) {
            ai.djl.ndarray.NDScope.unregister(a);
            kept.add(a);
        }
        for (NDArray b : before) {
            if (!kept.contains(b)) {
                b.close();
            }
        }
    }
}
