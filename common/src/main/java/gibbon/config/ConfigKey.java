package gibbon.config;

/**
 * One setting, declared once: its path in the HOCON config, type, whether a config must give it,
 * and meaning. Parsing, validation, the unknown-key check and {@code gibbon config} all read these
 * declarations; the defaults are in {@code reference.conf} ({@link ReferenceConfig}).
 *
 * @param path the dotted key, e.g. {@code sweep.batch-size}
 * @param type the value's type
 * @param required whether a config must set it: it has no default
 * @param doc one line for the reference
 */
public record ConfigKey(String path, Type type, boolean required, String doc) {
    /** Value types a setting can have. */
    public enum Type {
        STRING("a string"),
        INT("an integer"),
        LONG("an integer"),
        BYTES("a size: a number of bytes, or one with a unit such as 512M or 2G"),
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

    /** A setting with its default in {@code reference.conf}. */
    static ConfigKey defaulted(String path, Type type, String doc) {
        return new ConfigKey(path, type, false, doc);
    }

    /** A setting every config must give. */
    static ConfigKey required(String path, Type type, String doc) {
        return new ConfigKey(path, type, true, doc);
    }

    /** A setting that may be left out and has no default value: its doc says what that means. */
    static ConfigKey optional(String path, Type type, String doc) {
        return new ConfigKey(path, type, false, doc);
    }
}
