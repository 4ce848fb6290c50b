package gibbon.attack;

import gibbon.GibbonException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * Every parameter's value from those that were set: the one place where defaults are filled.
     * A set value always stays. Where parameters are alternatives to each other, a member's
     * default applies only when no member was set (the others are then off), and two members set
     * to active values contradict each other.
     *
     * @param path how error messages name the entry, e.g. {@code attacks.bim}
     * @param given the values that were set, by parameter name
     * @throws GibbonException of kind CONFIG naming both keys of a contradiction
     */
    public AttackParams params(String path, Map<String, Object> given) {
        Map<String, Object> values = new HashMap<>(given);
        for (AttackParameter p : parameters) {
            if (!given.containsKey(p.name())) {
                values.put(p.name(), alternativeSet(p, given) ? p.off() : p.defaultValue());
            }
        }
        for (int i = 0; i < parameters.size(); i++) {
            AttackParameter a = parameters.get(i);
            for (AttackParameter b : parameters.subList(i + 1, parameters.size())) {
                if (a.alternatives() != null && a.alternatives().equals(b.alternatives())
                        && a.active(values.get(a.name())) && b.active(values.get(b.name()))) {
                    throw GibbonException.config("config keys '" + path + "." + a.name() + "' = " + values.get(a.name())
                            + " and '" + path + "." + b.name() + "' = " + values.get(b.name())
                            + " contradict each other: set one of them (the other 0 or left out)");
                }
            }
        }
        return new AttackParams(values);
    }

    /** Builds the attack; parameters the given values leave out are filled as {@link #params} fills them. */
    public Attack create(AttackParams params) {
        return factory.apply(params(name, params.values()));
    }

    private boolean alternativeSet(AttackParameter p, Map<String, Object> given) {
        return p.alternatives() != null && parameters.stream()
                .anyMatch(o -> o != p && p.alternatives().equals(o.alternatives()) && given.containsKey(o.name()));
    }
}
