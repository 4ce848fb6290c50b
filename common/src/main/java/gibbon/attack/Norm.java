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

    /** Shape (batch, 1, 1, ...) that broadcasts a per-example scalar over a batch. */
    static long[] broadcastShape(NDArray batch) {
        long[] shape = new long[batch.getShape().dimension()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = batch.getShape().get(0);
        return shape;
    }
}
