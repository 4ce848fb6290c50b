package gibbon.attack;

import java.util.List;
import java.util.Optional;

/** Every attack Gibbon knows, by config name. Adding an attack means adding one entry here. */
public final class AttackRegistry {
    private static final List<AttackType> TYPES = List.of(
            new AttackType("fgsm", Norm.LINF, true, "Fast Gradient Sign Method (Goodfellow et al., 2015)",
                    List.of(), p -> new FgsmAttack()),
            new AttackType("bim", Norm.LINF, true,
                    "Basic Iterative Method: iterated FGSM, no random start (Kurakin et al., 2017)",
                    IterativeSchedule.parameters(0, 0, "gradient steps; 0 = min(255 eps + 4, 1.25 * 255 eps)",
                            1.0 / 255, false),
                    p -> new PgdAttack(IterativeSchedule.of(p))),
            new AttackType("pgd", Norm.LINF, true,
                    "Projected Gradient Descent with random start (Madry et al., 2018)",
                    IterativeSchedule.parameters(20, true), p -> new PgdAttack(IterativeSchedule.of(p))),
            new AttackType("pgd_l2", Norm.L2, true,
                    "Projected Gradient Descent in the L2 ball, normalised gradient steps (Madry et al., 2018)",
                    IterativeSchedule.parameters(20, true), p -> new PgdL2Attack(IterativeSchedule.of(p))),
            new AttackType("noise", Norm.LINF, false, "Uniform random noise in the L-infinity ball (baseline)",
                    List.of(), p -> new UniformNoiseAttack()));

    private AttackRegistry() {}

    public static List<AttackType> all() {
        return TYPES;
    }

    public static Optional<AttackType> find(String name) {
        return TYPES.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public static List<String> names() {
        return TYPES.stream().map(AttackType::name).toList();
    }
}
