package gibbon.attack;

import ai.djl.ndarray.NDArray;
import gibbon.model.TargetModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Fast Gradient Sign Method (Goodfellow et al., 2015), L-infinity: one step of size epsilon along
 * the sign of the loss gradient. Targeted (Kurakin et al., 2017), it steps down the cross-entropy
 * of the target class instead. A sweep over several budgets takes one gradient for all of them.
 */
public final class FgsmAttack implements Attack {
    private final TargetChoice target;

    /** Untargeted FGSM. */
    public FgsmAttack() {
        this(new TargetChoice(TargetChoice.NONE));
    }

    FgsmAttack(TargetChoice target) {
        this.target = target;
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        return craftEach(model, x, labels, List.of(epsilon), List.of(random)).get(0);
    }

    /** One gradient for every budget: the step's direction does not depend on epsilon. */
    @Override
    public List<Crafted> craftEach(TargetModel model, NDArray x, NDArray labels, List<NDArray> epsilons,
            List<ExampleRandom> randoms) {
        // Random targets are drawn independently of epsilon, so the first budget's stream serves all.
        int[] targets = target.targeted() ? target.choose(model.logits(x), Rows.ints(labels), randoms.get(0)) : null;
        NDArray direction = targets == null ? model.lossGradient(x, labels).sign()
                : model.lossGradient(x, Rows.classes(labels, targets)).sign().neg();
        List<Crafted> out = new ArrayList<>(epsilons.size());
        for (NDArray epsilon : epsilons) {
            out.add(new Crafted(x.add(direction.mul(epsilon)), targets, null));
        }
        direction.close();
        return out;
    }
}
