package gibbon.attack;

import ai.djl.ndarray.NDArray;

/** The threat model's norm: the ball of radius epsilon that an adversarial perturbation lives in. */
public enum Norm {
    LINF("linf"),
    L2("l2");

    private final String tableName;

    Norm(String tableName) {
        this.tableName = tableName;
    }

    /** The name used in configs and result tables. */
    public String tableName() {
        return tableName;
    }

    /**
     * Projects each example's perturbation (batch along axis 0) onto its ball.
     *
     * @param eps per-example radii, shape (batch, 1, 1, 1)
     */
    public NDArray project(NDArray delta, NDArray eps) {
        if (this == LINF) {
            return delta.minimum(eps).maximum(eps.neg());
        }
        NDArray norms = perExample(delta).add(1e-12f).reshape(broadcastShape(delta));
        return delta.mul(eps.div(norms).minimum(1f));
    }

    /** Per-example norm of a batch, shape (batch). */
    public NDArray perExample(NDArray delta) {
        NDArray flat = delta.reshape(delta.getShape().get(0), -1);
        return this == LINF ? flat.abs().max(new int[] {1}) : flat.square().sum(new int[] {1}).sqrt();
    }

    /** The norm of the {@code length} values of {@code v} from {@code offset}. */
    float of(float[] v, int offset, int length) {
        double sum = 0;
        for (int i = offset; i < offset + length; i++) {
            sum = this == LINF ? Math.max(sum, Math.abs(v[i])) : sum + (double) v[i] * v[i];
        }
        return (float) (this == LINF ? sum : Math.sqrt(sum));
    }

    /** The norm of a − b over the {@code length} values from {@code offset}. */
    float of(float[] a, float[] b, int offset, int length) {
        double sum = 0;
        for (int i = offset; i < offset + length; i++) {
            float v = a[i] - b[i];
            sum = this == LINF ? Math.max(sum, Math.abs(v)) : sum + (double) v * v;
        }
        return (float) (this == LINF ? sum : Math.sqrt(sum));
    }

    /** Shape (batch, 1, 1, ...) that broadcasts a per-example scalar over a batch. */
    static long[] broadcastShape(NDArray batch) {
        long[] shape = new long[batch.getShape().dimension()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = batch.getShape().get(0);
        return shape;
    }
}
