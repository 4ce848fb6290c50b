package gibbon.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Map;

/**
 * The {@code output} part of an experiment config: where the result tables go.
 *
 * @param catalog the Spark catalog name of the tables, an identifier
 * @param catalogType the Iceberg catalog type
 * @param warehouse the Iceberg warehouse location
 * @param namespace the namespace of the tables, an identifier
 * @param adversarialFraction share of examples whose adversarial inputs are stored
 * @param catalogProperties extra Iceberg catalog properties
 */
public record OutputSettings(String catalog, String catalogType, String warehouse, String namespace,
        double adversarialFraction, Map<String, String> catalogProperties) implements Serializable {
    /**
     * Reads and checks the {@code output} keys; the catalog and namespace names go into SQL
     * statements and Spark property keys, so they must be identifiers.
     *
     * @param c the config, defaults filled
     * @throws gibbon.GibbonException of kind CONFIG naming the key at fault
     */
    public static OutputSettings parse(Config c) {
        String catalogType = Values.nonEmpty(c, Settings.CATALOG_TYPE);
        String warehouse = Values.nonEmpty(c, Settings.WAREHOUSE);
        Map<String, String> properties = Values.stringMap(c, Settings.CATALOG_PROPERTIES);
        CatalogSettings.check(catalogType, warehouse, properties);
        return new OutputSettings(Values.identifier(c, Settings.CATALOG), catalogType,
                Values.location(Settings.WAREHOUSE, warehouse), Values.identifier(c, Settings.NAMESPACE),
                Values.fraction(c, Settings.ADVERSARIAL_FRACTION), properties);
    }
}
