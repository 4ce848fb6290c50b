package gibbon.attack;

import ai.djl.ndarray.NDArray;
import gibbon.model.TargetModel;

/**
 * Projected Gradient Descent, L-infinity (Madry et al., 2018): from a uniform random start in the
 * ball, repeated signed-gradient steps, each followed by projection onto the ball and clipping to
 * [0, 1]. Without the random start it is BIM, the Basic Iterative Method (Kurakin et al., 2017),
 * registered as {@code bim} with Kurakin's defaults. Targeted, each step descends the
 * cross-entropy of the target class; with restarts, each example keeps its worst case.
 */
public final class PgdAttack implements Attack {
    private final IterativeSchedule schedule;
    private final TargetChoice target;
    private final int restarts;
    private final boolean carryOver;

    /** @param carryOver whether a sweep may reuse an example's adversarial at larger budgets once broken */
    PgdAttack(IterativeSchedule schedule, TargetChoice target, int restarts, boolean carryOver) {
        this.schedule = schedule;
        this.target = target;
        this.restarts = restarts;
        this.carryOver = carryOver;
    }

    @Override
    public Carry carry() {
        return Carry.of(carryOver, target.targeted());
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        int[] targets = target.targeted() ? target.choose(model.logits(x), Rows.ints(labels), random) : null;
        if (restarts == 1) {
            NDArray aim = targets == null ? labels : Rows.classes(labels, targets);
            return new Crafted(run(model, x, aim, targets != null, epsilon, random), targets, null);
        }
        return Attempts.best(model, restarts, true, x, labels, epsilon, random, (a, rows, xs, ys, es, rs) -> {
            if (targets == null) {
                return new Attempts.Result(run(model, xs, ys, false, es, rs), null);
            }
            int[] t = Rows.pick(targets, rows);
            return new Attempts.Result(run(model, xs, Rows.classes(ys, t), true, es, rs), t);
        });
    }

    /** One run from a (random) start; {@code aim} is the true class, or the target when targeted. */
    private NDArray run(TargetModel model, NDArray x, NDArray aim, boolean targeted, NDArray epsilon,
            ExampleRandom random) {
        NDArray alpha = schedule.stepFor(epsilon);
        if (targeted) {
            alpha = alpha.neg();
        }
        NDArray start = schedule.randomStart()
                ? x.add(random.uniform(x.getManager(), x.getShape().slice(1), -1f, 1f).mul(epsilon)).clip(0f, 1f)
                : x.duplicate();
        return IterativeDescent.run(model, x, aim, targeted, epsilon, alpha, start, schedule.stepsFor(epsilon),
                schedule.earlyStop(), (adv, gradient, xs, es, as) -> {
                    NDArray moved = adv.add(gradient.sign().mul(as));
                    return xs.add(Norm.LINF.project(moved.sub(xs), es)).clip(0f, 1f);
                });
    }
}
