package gibbon.config;

import gibbon.GibbonException;
import gibbon.io.Storage;
import java.util.Map;

/**
 * What each Iceberg catalog type needs from {@code output.*}, checked with the rest of the config:
 * a {@code jdbc} catalog (a database a team shares, e.g. PostgreSQL) needs its JDBC {@code uri}
 * and a warehouse every member's runs can reach; a {@code rest} catalog needs the server's
 * {@code uri}. The catalog type and warehouse have their own keys, so {@code catalog-properties}
 * may not set them a second time.
 */
public final class CatalogSettings {
    /** Iceberg's JdbcCatalog: catalog tables in a relational database. */
    public static final String JDBC = "jdbc";
    /** An Iceberg REST catalog server. */
    public static final String REST = "rest";

    /**
     * The JdbcCatalog property choosing its database schema; Gibbon needs {@link #JDBC_VIEWS_SCHEMA},
     * the one with views: Spark asks the catalog for a view whenever it looks a table up, and the
     * older schema answers with an error.
     */
    public static final String JDBC_SCHEMA_VERSION = "jdbc.schema-version";
    /** The JdbcCatalog schema with views (Iceberg adds the column to an older catalog database). */
    public static final String JDBC_VIEWS_SCHEMA = "V1";

    private static final String PROPERTIES = Settings.CATALOG_PROPERTIES.path();

    private CatalogSettings() {}

    /**
     * Checks the catalog keys of a config.
     *
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    static void check(String type, String warehouse, Map<String, String> properties) {
        requireOwnKey(properties, "type", Settings.CATALOG_TYPE.path());
        requireOwnKey(properties, "warehouse", Settings.WAREHOUSE.path());
        switch (type) {
            case JDBC -> {
                for (String bare : new String[] {"user", "password"}) {
                    if (properties.containsKey(bare)) {
                        // Iceberg hands the driver only the jdbc.* properties: a bare one would be ignored.
                        throw GibbonException.config("config key '" + PROPERTIES + "." + bare + "': the JDBC driver reads"
                                + " 'jdbc." + bare + "'");
                    }
                }
                String schema = properties.getOrDefault(JDBC_SCHEMA_VERSION, JDBC_VIEWS_SCHEMA);
                if (!schema.equalsIgnoreCase(JDBC_VIEWS_SCHEMA)) {
                    throw GibbonException.config("config key '" + PROPERTIES + "." + JDBC_SCHEMA_VERSION + "' is '" + schema
                            + "'; Gibbon needs " + JDBC_VIEWS_SCHEMA + " (Spark looks up views in every catalog it reads)");
                }
                String uri = requireUri(properties, type, "jdbc:postgresql://db.example.com:5432/iceberg");
                if (!uri.startsWith("jdbc:")) {
                    throw GibbonException.config("config key '" + PROPERTIES + ".uri': a jdbc catalog needs a JDBC URI"
                            + " (jdbc:postgresql://host:port/database), got '" + withoutCredentials(uri) + "'");
                }
                if (!Storage.absolute(warehouse).equals(warehouse) && !java.nio.file.Path.of(warehouse).isAbsolute()) {
                    throw GibbonException.config("config key '" + Settings.WAREHOUSE.path() + "': '" + warehouse
                            + "' is relative to this working directory; a jdbc catalog is shared, so give a location"
                            + " every run can reach (an hdfs:// or s3a:// URI, or an absolute path on a shared file"
                            + " system)");
                }
            }
            case REST -> {
                String uri = requireUri(properties, type, "https://catalog.example.com/api/catalog");
                if (!uri.matches("(?i)https?://.+")) {
                    throw GibbonException.config("config key '" + PROPERTIES + ".uri': a rest catalog needs an http:// or"
                            + " https:// URI, got '" + withoutCredentials(uri) + "'");
                }
            }
            default -> {
                // hadoop, hive and other types take what they need from catalog-properties.
            }
        }
    }

    /**
     * A catalog URI as error messages show it: scheme, host, port and path, without user
     * information or query parameters, which may carry credentials.
     */
    public static String withoutCredentials(String uri) {
        return uri.replaceFirst("//[^/@?#]*@", "//").replaceFirst("[?#;].*", "");
    }

    private static String requireUri(Map<String, String> properties, String type, String example) {
        String uri = properties.get("uri");
        if (uri == null || uri.isBlank()) {
            throw GibbonException.config("config key '" + PROPERTIES + ".uri' is required for "
                    + Settings.CATALOG_TYPE.path() + " = " + type + ", e.g. " + example);
        }
        return uri;
    }

    /** A catalog property that would silently replace a value set by its own key is refused. */
    private static void requireOwnKey(Map<String, String> properties, String property, String ownKey) {
        if (properties.containsKey(property)) {
            throw GibbonException.config("config key '" + PROPERTIES + "." + property + "': set it with '" + ownKey
                    + "' instead");
        }
    }
}
