package gibbon.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Map;

/**
 * The {@code spark} part of an experiment config.
 *
 * @param master the Spark master when not launched by spark-submit
 * @param conf extra Spark properties
 */
public record SparkSettings(String master, Map<String, String> conf) implements Serializable {
    /**
     * Reads and checks the {@code spark} keys.
     *
     * @param c the config, defaults filled
     * @throws gibbon.GibbonException of kind CONFIG naming the key at fault
     */
    public static SparkSettings parse(Config c) {
        return new SparkSettings(Values.nonEmpty(c, Settings.SPARK_MASTER), Values.stringMap(c, Settings.SPARK_CONF));
    }
}
