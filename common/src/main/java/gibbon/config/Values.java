package gibbon.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import gibbon.GibbonException;
import gibbon.Secrets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Typed reads of declared settings, shared by the parts of a config: each turns a value of the
 * wrong type or range into one {@link GibbonException} of kind CONFIG naming the key.
 */
final class Values {
    private Values() {}

    static String string(Config c, ConfigKey key) {
        try {
            ConfigValue v = c.getValue(key.path());
            if (v.valueType() != ConfigValueType.STRING && v.valueType() != ConfigValueType.NUMBER
                    && v.valueType() != ConfigValueType.BOOLEAN) {
                throw GibbonException.config("config key '" + key.path() + "': expected a string, got "
                        + v.valueType().name().toLowerCase());
            }
            return c.getString(key.path());
        } catch (ConfigException e) {
            throw GibbonException.config("config key '" + key.path() + "': " + oneLine(e.getMessage()));
        }
    }

    static String nonEmpty(Config c, ConfigKey key) {
        String s = string(c, key);
        if (s.isBlank()) {
            throw GibbonException.config("config key '" + key.path() + "' is empty: " + key.doc());
        }
        return s;
    }

    /** A name that SQL statements and Spark property keys are built from, so unquoted text only. */
    static String identifier(Config c, ConfigKey key) {
        String s = nonEmpty(c, key);
        if (!s.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw GibbonException.config("config key '" + key.path() + "': '" + s + "' is not an identifier: use letters,"
                    + " digits and '_', starting with a letter or '_'");
        }
        return s;
    }

    /** A storage location, checked to carry no credentials: locations are printed and recorded in runs. */
    static String location(ConfigKey key, String value) {
        Secrets.requireNoCredentials(key.path(), value);
        return value;
    }

    static Number number(Config c, ConfigKey key) {
        try {
            Number n = c.getNumber(key.path());
            if ((key.type() == ConfigKey.Type.INT || key.type() == ConfigKey.Type.LONG)
                    && n.doubleValue() != Math.rint(n.doubleValue())) {
                throw GibbonException.config("config key '" + key.path() + "': expected an integer, got " + n);
            }
            if (key.type() == ConfigKey.Type.INT && Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
                throw GibbonException.config("config key '" + key.path() + "': " + n + " is too large");
            }
            return n;
        } catch (ConfigException.WrongType e) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description()
                    + ", got " + describe(c.getValue(key.path())));
        }
    }

    /** A non-negative size in bytes: a number, or a number with a unit (512M, 2G; HOCON's size format). */
    static long bytes(Config c, ConfigKey key) {
        long bytes;
        try {
            bytes = c.getBytes(key.path());
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description()
                    + ", got " + describe(c.getValue(key.path())));
        }
        if (bytes < 0) {
            throw GibbonException.config("config key '" + key.path() + "' is " + bytes + ", at least 0");
        }
        return bytes;
    }

    static boolean bool(Config c, ConfigKey key) {
        try {
            return c.getBoolean(key.path());
        } catch (ConfigException.WrongType e) {
            throw GibbonException.config("config key '" + key.path() + "': expected true or false, got "
                    + describe(c.getValue(key.path())));
        }
    }

    static int nonNegative(Config c, ConfigKey key) {
        int n = number(c, key).intValue();
        if (n < 0) {
            throw GibbonException.config("config key '" + key.path() + "' is " + n + ", must be 0 or more");
        }
        return n;
    }

    static double fraction(Config c, ConfigKey key) {
        double v = number(c, key).doubleValue();
        if (!(v >= 0 && v <= 1)) {
            throw GibbonException.config("config key '" + key.path() + "' is " + v + ", expected a fraction in [0, 1]");
        }
        return v;
    }

    static int positive(Config c, ConfigKey key) {
        int n = number(c, key).intValue();
        if (n < 1) {
            throw GibbonException.config("config key '" + key.path() + "' is " + n + ", must be at least 1");
        }
        return n;
    }

    static List<Number> numbers(Config c, ConfigKey key) {
        try {
            return c.getNumberList(key.path());
        } catch (ConfigException e) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description());
        }
    }

    static List<String> strings(Config c, ConfigKey key) {
        try {
            return c.getStringList(key.path());
        } catch (ConfigException e) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description());
        }
    }

    static Map<String, String> stringMap(Config c, ConfigKey key) {
        ConfigValue v = c.getValue(key.path());
        if (v.valueType() != ConfigValueType.OBJECT) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description());
        }
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : ((ConfigObject) v).entrySet()) {
            collect(key.path(), e.getKey(), e.getValue(), out);
        }
        return Map.copyOf(out);
    }

    /** Flattens nested objects, so both {@code fs.s3a.x = 1} and {@code "fs.s3a.x" = 1} work. */
    private static void collect(String base, String key, ConfigValue v, Map<String, String> out) {
        if (v.valueType() == ConfigValueType.OBJECT) {
            for (Map.Entry<String, ConfigValue> e : ((ConfigObject) v).entrySet()) {
                collect(base, key + "." + e.getKey(), e.getValue(), out);
            }
        } else if (v.valueType() == ConfigValueType.LIST || v.valueType() == ConfigValueType.NULL) {
            throw GibbonException.config("config key '" + base + "." + key + "': expected a string value");
        } else {
            out.put(key, String.valueOf(v.unwrapped()));
        }
    }

    /**
     * The value of {@code key} inside {@code entry} (an attack entry), of the expected type;
     * {@code path} is how the message names it.
     */
    static Object typed(Config entry, String path, String key, ConfigValueType expected) {
        ConfigValue v = entry.getValue(key);
        ConfigValue coerced = v;
        if (v.valueType() == ConfigValueType.STRING && expected != ConfigValueType.STRING) {
            // --set values arrive as strings; accept those that read as the expected type.
            try {
                coerced = ConfigFactory.parseString("v = " + v.unwrapped()).getValue("v");
            } catch (ConfigException e) {
                coerced = v;
            }
        }
        if (coerced.valueType() != expected) {
            String what = expected == ConfigValueType.NUMBER ? "a number"
                    : expected == ConfigValueType.BOOLEAN ? "true or false" : "a string";
            throw GibbonException.config("config key '" + path + "': expected " + what + ", got " + describe(v));
        }
        return coerced.unwrapped();
    }

    static String describe(ConfigValue v) {
        return v.valueType().name().toLowerCase() + (v.valueType() == ConfigValueType.STRING ? " '" + v.unwrapped() + "'" : "");
    }

    static GibbonException unknown(String path, Set<String> known) {
        return GibbonException.config("unknown config key '" + path + "'" + Suggestions.didYouMean(path, known).orElse(""));
    }

    static String oneLine(String message) {
        String first = message == null ? "invalid config" : message.lines().findFirst().orElse("invalid config");
        return first.replaceFirst("^(.*?): (\\d+): ", "$1: line $2: ");
    }
}
