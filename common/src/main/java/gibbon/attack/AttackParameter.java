package gibbon.attack;

/**
 * One tunable parameter of an attack, declared once with its name in configs, its type, default
 * and meaning; config validation, {@code --set} and the docs all come from this declaration.
 *
 * @param name the config key inside the attack's block, e.g. {@code steps}
 * @param type Integer, Double, Boolean or String
 * @param defaultValue the value when the config says nothing
 * @param minimum the smallest allowed value for numbers (inclusive), null for booleans and strings
 * @param doc what it means, one line
 * @param pattern the regular expression a String value must match, null for other types
 * @param alternatives the group of parameters that are alternatives to each other (e.g. an absolute
 *     and a relative step size), null for none; a member is switched off by 0, and
 *     {@link AttackType#params} applies a member's default only when no member was set
 */
public record AttackParameter(String name, Class<?> type, Object defaultValue, Double minimum, String doc,
        String pattern, String alternatives) {
    public AttackParameter {
        if (alternatives != null && !Number.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException("parameter '" + name + "': only numbers, switched off by 0, can be"
                    + " alternatives");
        }
    }

    public static AttackParameter integer(String name, int defaultValue, int minimum, String doc) {
        return new AttackParameter(name, Integer.class, defaultValue, (double) minimum, doc, null, null);
    }

    public static AttackParameter decimal(String name, double defaultValue, double minimum, String doc) {
        return new AttackParameter(name, Double.class, defaultValue, minimum, doc, null, null);
    }

    public static AttackParameter flag(String name, boolean defaultValue, String doc) {
        return new AttackParameter(name, Boolean.class, defaultValue, null, doc, null, null);
    }

    /** A word or number from a set described by {@code pattern}, e.g. a target class choice. */
    public static AttackParameter choice(String name, String defaultValue, String pattern, String doc) {
        return new AttackParameter(name, String.class, defaultValue, null, doc, pattern, null);
    }

    /** This parameter as a member of the group of alternatives {@code group}. */
    public AttackParameter alternativeIn(String group) {
        return new AttackParameter(name, type, defaultValue, minimum, doc, pattern, group);
    }

    /** The value that switches an alternative off. */
    Object off() {
        return type == Integer.class ? (Object) 0 : (Object) 0.0;
    }

    /** Whether {@code value} switches this alternative on. */
    boolean active(Object value) {
        return ((Number) value).doubleValue() != 0;
    }
}
