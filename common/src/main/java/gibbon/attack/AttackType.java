package gibbon.attack;

import java.util.List;
import java.util.function.Function;

/**
 * A registered attack: its config name, threat model, parameters and how to build it.
 *
 * @param name the name in configs and result tables, e.g. {@code pgd}
 * @param norm the threat model's norm
 * @param needsGradients whether it reads the model's gradients
 * @param description one line: method and reference
 * @param parameters its tunable parameters, each with a default
 * @param factory builds the attack from validated parameters
 */
public record AttackType(String name, Norm norm, boolean needsGradients, String description,
        List<AttackParameter> parameters, Function<AttackParams, Attack> factory) {

    /** Builds the attack; parameters the given values leave out take their declared defaults. */
    public Attack create(AttackParams params) {
        java.util.Map<String, Object> values = new java.util.HashMap<>(params.values());
        parameters.forEach(p -> values.putIfAbsent(p.name(), p.defaultValue()));
        return factory.apply(new AttackParams(values));
    }
}
