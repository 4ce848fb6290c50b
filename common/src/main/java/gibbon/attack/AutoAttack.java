package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;
import java.util.List;

/**
 * The AutoAttack ensemble (Croce and Hein, ICML 2020), version "standard": its components run in
 * order, each only on the examples that the clean model and every earlier component left
 * correctly classified, and each example keeps the first component's input that fooled the model
 * (within its epsilon-ball, which this class enforces on every component before judging). It
 * reports which component broke each example and, for a targeted one, the target it aimed at. An
 * example no component broke keeps the first component's point (APGD-CE's highest-loss point).
 */
final class AutoAttack implements Attack {
    private final Norm norm;
    private final List<Component> components;
    private final boolean carryOver;

    /** One member of the ensemble under the name it is reported by. */
    record Component(String name, Attack attack) {}

    /** @param carryOver whether a sweep may reuse an example's adversarial at larger budgets once broken */
    AutoAttack(Norm norm, List<Component> components, boolean carryOver) {
        this.norm = norm;
        this.components = List.copyOf(components);
        this.carryOver = carryOver;
    }

    @Override
    public Carry carry() {
        return Carry.of(carryOver, false);
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        int n = (int) x.getShape().get(0);
        int[] y = Rows.ints(labels);
        String[] brokenBy = new String[n];
        int[] targets = new int[n];
        java.util.Arrays.fill(targets, Crafted.NO_TARGET);
        boolean anyTarget = false;
        int[] predicted = Rows.argMax(model.logits(x));
        boolean[] open = new boolean[n];
        for (int i = 0; i < n; i++) {
            open[i] = predicted[i] == y[i];
        }
        NDArray adv = x.duplicate();
        boolean first = true;
        for (Component component : components) {
            int[] active = Rows.where(open);
            if (active.length == 0) {
                break;
            }
            NDArray[] before = {adv};
            try (NDScope scope = new NDScope()) {
                NDArray xs = Rows.select(x, active);
                NDArray es = Rows.select(epsilon, active);
                Crafted crafted = component.attack().craft(model, xs, Rows.select(labels, active), es,
                        random.select(active));
                NDArray candidate = xs.add(norm.project(crafted.adversarial().sub(xs), es)).clip(0f, 1f);
                int[] now = Rows.argMax(model.logits(candidate));
                boolean[] fooled = new boolean[active.length];
                for (int j = 0; j < active.length; j++) {
                    int i = active[j];
                    fooled[j] = now[j] != y[i];
                    if (fooled[j]) {
                        open[i] = false;
                        brokenBy[i] = component.name();
                        if (crafted.targets() != null) {
                            targets[i] = crafted.targets()[j];
                            anyTarget |= targets[i] != Crafted.NO_TARGET;
                        }
                    }
                }
                int[] keep = first ? active : Rows.pick(active, Rows.where(fooled));
                NDArray kept = first ? candidate : Rows.select(candidate, Rows.where(fooled));
                adv = Rows.scatter(adv, keep, kept);
                Rows.carry(before, adv);
            }
            first = false;
        }
        return new Crafted(adv, anyTarget ? targets : null, brokenBy);
    }
}
