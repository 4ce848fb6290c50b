package gibbon.config;

/**
 * One experiment setting, declared once: its path in the HOCON config, type, default and meaning.
 * Parsing, validation, the unknown-key check and {@code gibbon config} all read these
 * declarations.
 *
 * @param path the dotted key, e.g. {@code sweep.batch-size}
 * @param type the value's type
 * @param defaultValue the default, or null when the key is required
 * @param doc one line for the reference
 */
public record ConfigKey(String path, Type type, Object defaultValue, String doc) {
    /** Value types a setting can have. */
    public enum Type {
        STRING("a string"),
        INT("an integer"),
        LONG("an integer"),
        DOUBLE("a number"),
        BOOLEAN("true or false"),
        STRING_MAP("an object of string values"),
        INT_LIST("a list of integers"),
        STRING_LIST("a list of strings"),
        DOUBLE_LIST("a list of numbers"),
        ATTACKS("an object of attack entries"),
        MODELS("an object of named models"),
        FREE_FORM("any value");

        private final String description;

        Type(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    public boolean required() {
        return defaultValue == null;
    }
}
