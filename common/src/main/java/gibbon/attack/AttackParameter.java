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
 */
public record AttackParameter(String name, Class<?> type, Object defaultValue, Double minimum, String doc,
        String pattern) {
    public static AttackParameter integer(String name, int defaultValue, int minimum, String doc) {
        return new AttackParameter(name, Integer.class, defaultValue, (double) minimum, doc, null);
    }

    public static AttackParameter decimal(String name, double defaultValue, double minimum, String doc) {
        return new AttackParameter(name, Double.class, defaultValue, minimum, doc, null);
    }

    public static AttackParameter flag(String name, boolean defaultValue, String doc) {
        return new AttackParameter(name, Boolean.class, defaultValue, null, doc, null);
    }

    /** A word or number from a set described by {@code pattern}, e.g. a target class choice. */
    public static AttackParameter choice(String name, String defaultValue, String pattern, String doc) {
        return new AttackParameter(name, String.class, defaultValue, null, doc, pattern);
    }
}
