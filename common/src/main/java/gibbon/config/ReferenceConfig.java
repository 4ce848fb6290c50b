package gibbon.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValueFactory;
import java.net.MalformedURLException;
import java.net.URL;

/**
 * Gibbon's defaults: the {@code reference.conf} beside these classes, the one place every default
 * of a setting lives. Only Gibbon's own file is read, not every {@code reference.conf} on the class
 * path as {@code ConfigFactory.defaultReference()} would merge them: another library's keys would
 * be unknown keys here.
 */
public final class ReferenceConfig {
    private static final String TRAIN = "train";
    private static final String ATTACK_ENTRY = "attack-entry";
    private static final Config REFERENCE = load();

    private ReferenceConfig() {}

    /** The defaults of an experiment config ({@link Settings#ALL}). */
    public static Config experiment() {
        return REFERENCE.withoutPath(TRAIN).withoutPath(ATTACK_ENTRY);
    }

    /** The defaults of each entry under {@code attacks}, besides its attack's own parameters. */
    public static Config attackEntry() {
        return REFERENCE.getConfig(ATTACK_ENTRY);
    }

    /** The defaults of a training config ({@link TrainingSettings#ALL}). */
    public static Config training() {
        return REFERENCE.withOnlyPath(TRAIN);
    }

    private static Config load() {
        String self = ReferenceConfig.class.getSimpleName() + ".class";
        String classFile = ReferenceConfig.class.getResource(self).toString();
        String root = classFile.substring(0, classFile.length()
                - (ReferenceConfig.class.getPackageName().replace('.', '/') + "/" + self).length());
        try {
            Config parsed = ConfigFactory.parseURL(new URL(root + "reference.conf"),
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false)).resolve();
            // HOCON reads a whole 1.0 as the integer 1; a list of numbers keeps its decimals in runs.config.
            for (ConfigKey key : Settings.ALL) {
                if (key.type() == ConfigKey.Type.DOUBLE_LIST && parsed.hasPath(key.path())) {
                    parsed = parsed.withValue(key.path(), ConfigValueFactory.fromIterable(parsed.getDoubleList(key.path())));
                }
            }
            return parsed;
        } catch (MalformedURLException e) {
            throw new IllegalStateException("Gibbon's reference.conf beside " + classFile, e);
        }
    }
}
