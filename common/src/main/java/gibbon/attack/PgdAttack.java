package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Projected Gradient Descent, L-infinity (Madry et al., 2018): from a uniform random start in the
 * ball, repeated signed-gradient steps, each followed by projection onto the ball and clipping to
 * [0, 1]. Without the random start it is BIM, the Basic Iterative Method (Kurakin et al., 2017),
 * registered as {@code bim} with Kurakin's defaults.
 */
public final class PgdAttack implements Attack {
    private final IterativeSchedule schedule;

    PgdAttack(IterativeSchedule schedule) {
        this.schedule = schedule;
    }

    @Override
    public Norm norm() {
        return Norm.LINF;
    }

    @Override
    public boolean needsGradients() {
        return true;
    }

    @Override
    public NDArray perturb(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        NDArray alpha = schedule.stepFor(epsilon);
        NDArray adv = schedule.randomStart()
                ? x.add(random.uniform(x.getManager(), x.getShape().slice(1), -1f, 1f).mul(epsilon)).clip(0f, 1f)
                : x.duplicate();
        for (int step = 0, steps = schedule.stepsFor(epsilon); step < steps; step++) {
            NDArray next;
            // Each step's temporaries die with its scope; only the new iterate survives.
            try (NDScope scope = new NDScope()) {
                NDArray moved = adv.add(model.lossGradient(adv, labels).sign().mul(alpha));
                next = x.add(Norm.LINF.project(moved.sub(x), epsilon)).clip(0f, 1f);
                NDScope.unregister(next);
            }
            adv.close();
            adv = next;
        }
        return adv;
    }
}
