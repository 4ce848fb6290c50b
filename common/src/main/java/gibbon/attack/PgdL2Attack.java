package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;

/**
 * Projected Gradient Descent, L2 (Madry et al., 2018; as torchattacks' PGDL2): steps along the
 * gradient normalised to unit L2 norm per example, each followed by projection onto the L2 ball
 * and clipping to [0, 1]. The random start is uniform in radius along a Gaussian direction. With
 * restarts, each example keeps its worst case.
 */
public final class PgdL2Attack implements Attack {
    private static final float TINY = 1e-10f;
    private final IterativeSchedule schedule;
    private final int restarts;
    private final boolean carryOver;

    /** @param carryOver whether a sweep may reuse an example's adversarial at larger budgets once broken */
    PgdL2Attack(IterativeSchedule schedule, int restarts, boolean carryOver) {
        this.schedule = schedule;
        this.restarts = restarts;
        this.carryOver = carryOver;
    }

    @Override
    public Carry carry() {
        return Carry.of(carryOver, false);
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        if (restarts == 1) {
            return Crafted.of(run(model, x, labels, epsilon, random));
        }
        return Attempts.best(model, restarts, false, x, labels, epsilon, random,
                (a, rows, xs, ys, es, rs) -> new Attempts.Result(run(model, xs, ys, es, rs), null));
    }

    private NDArray run(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        NDArray alpha = schedule.stepFor(epsilon);
        long[] perExample = Norm.broadcastShape(x);
        NDArray adv;
        if (schedule.randomStart()) {
            try (NDScope scope = new NDScope()) {
                NDArray direction = random.normal(x.getManager(), x.getShape().slice(1));
                NDArray norms = Norm.L2.perExample(direction).add(TINY).reshape(perExample);
                NDArray radius = random.uniformPerExample(x.getManager()).reshape(perExample).mul(epsilon);
                adv = x.add(direction.div(norms).mul(radius)).clip(0f, 1f);
                NDScope.unregister(adv);
            }
        } else {
            adv = x.duplicate();
        }
        return IterativeDescent.run(model, x, labels, false, epsilon, alpha, adv, schedule.stepsFor(epsilon),
                schedule.earlyStop(), (current, gradient, xs, es, as) -> {
                    NDArray gradNorms = Norm.L2.perExample(gradient).add(TINY).reshape(Norm.broadcastShape(gradient));
                    NDArray moved = current.add(gradient.div(gradNorms).mul(as));
                    return xs.add(Norm.L2.project(moved.sub(xs), es)).clip(0f, 1f);
                });
    }
}
