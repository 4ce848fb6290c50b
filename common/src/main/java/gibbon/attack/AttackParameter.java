package gibbon.attack;

/**
 * One tunable parameter of an attack, declared once with its name in configs, its type, default
 * and meaning; config validation, {@code --set} and the docs all come from this declaration.
 *
 * @param name the config key inside the attack's block, e.g. {@code steps}
 * @param type Integer, Double or Boolean
 * @param defaultValue the value when the config says nothing
 * @param minimum the smallest allowed value for numbers (inclusive), null for booleans
 * @param doc what it means, one line
 */
public record AttackParameter(String name, Class<?> type, Object defaultValue, Double minimum, String doc) {
    public static AttackParameter integer(String name, int defaultValue, int minimum, String doc) {
        return new AttackParameter(name, Integer.class, defaultValue, (double) minimum, doc);
    }

    public static AttackParameter decimal(String name, double defaultValue, double minimum, String doc) {
        return new AttackParameter(name, Double.class, defaultValue, minimum, doc);
    }

    public static AttackParameter flag(String name, boolean defaultValue, String doc) {
        return new AttackParameter(name, Boolean.class, defaultValue, null, doc);
    }
}
