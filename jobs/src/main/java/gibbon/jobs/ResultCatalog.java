package gibbon.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import gibbon.GibbonException;
import gibbon.Secrets;
import gibbon.config.CatalogSettings;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.config.Settings;
import gibbon.io.Storage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;

/**
 * The Iceberg catalog of the result tables: reached before Spark starts, registered in the session
 * and opened at once, so that a catalog that is down, hung or refuses the login is reported in one
 * line naming the key at fault, within seconds and before any work starts. Catalogs behind a
 * network (jdbc on PostgreSQL, rest) get bounded waits unless the config sets them.
 */
public final class ResultCatalog {
    /**
     * PostgreSQL's driver waits 10 s for a connection by default and forever for a server that
     * accepts it but never answers (loginTimeout and socketTimeout 0). Values in seconds.
     */
    private static final Map<String, String> POSTGRES_WAITS = Map.of(
            "jdbc.connectTimeout", "5",
            "jdbc.loginTimeout", "5",
            "jdbc.socketTimeout", "60");
    private static final String REST_CONNECTION_TIMEOUT = "rest.client.connection-timeout-ms";
    /** Iceberg's REST client waits 3 minutes to connect and for each answer by default. Values in milliseconds. */
    private static final Map<String, String> REST_WAITS = Map.of(
            REST_CONNECTION_TIMEOUT, "5000",
            "rest.client.socket-timeout-ms", "60000");
    /** Set, Iceberg's REST client goes through this proxy, and the server itself may be out of direct reach. */
    private static final String REST_PROXY = "rest.client.proxy.hostname";

    private static final String PROPERTIES = Settings.CATALOG_PROPERTIES.path();
    /** Iceberg's JdbcCatalog hands the properties with this prefix, without it, to the JDBC driver. */
    private static final String JDBC_PREFIX = "jdbc.";

    private ResultCatalog() {}

    /** Registers the config's catalog in the session (opened lazily: {@link #open}). */
    static void register(SparkSession spark, ExperimentConfig config) {
        sessionSettings(config).forEach((key, value) -> spark.conf().set(key, value));
    }

    /** The Spark settings ({@code spark.sql.catalog.NAME...}) that define the config's catalog in a session. */
    static Map<String, String> sessionSettings(ExperimentConfig config) {
        String prefix = "spark.sql.catalog." + config.catalog();
        Map<String, String> settings = new TreeMap<>();
        settings.put(prefix, "org.apache.iceberg.spark.SparkCatalog");
        settings.put(prefix + ".type", config.catalogType());
        settings.put(prefix + ".warehouse", warehouse(config));
        properties(config).forEach((key, value) -> settings.put(prefix + "." + key, value));
        return settings;
    }

    /** The catalog's warehouse property: an absolute location, except for a REST server, which defines its own. */
    static String warehouse(ExperimentConfig config) {
        return config.catalogType().equals(CatalogSettings.REST) ? config.warehouse() : Storage.absolute(config.warehouse());
    }

    /**
     * The catalog properties as {@link #register} sets them, each credential's value replaced by
     * {@link ConfigLoader#REDACTED} as in {@code runs.config}: what a report may show.
     */
    static Map<String, String> propertiesWithoutCredentials(ExperimentConfig config) {
        Map<String, String> shown = properties(config);
        shown.replaceAll((key, value) -> Secrets.redact(value));
        Config stored = ConfigFactory.parseString(config.resolvedJson());
        String path = Settings.CATALOG_PROPERTIES.path();
        if (stored.hasPath(path)) {
            for (Map.Entry<String, ConfigValue> e : stored.getConfig(path).entrySet()) {
                if (ConfigLoader.REDACTED.equals(e.getValue().unwrapped())) {
                    shown.put(String.join(".", ConfigUtil.splitPath(e.getKey())), ConfigLoader.REDACTED);
                }
            }
        }
        return shown;
    }

    /** The config's catalog properties with the bounded waits its type needs; the user's own values win. */
    static Map<String, String> properties(ExperimentConfig config) {
        Map<String, String> properties = new TreeMap<>(config.catalogProperties());
        String uri = properties.getOrDefault("uri", "");
        if (config.catalogType().equals(CatalogSettings.JDBC)) {
            // Spark asks every catalog for views too; a catalog database without them fails that question.
            properties.putIfAbsent(CatalogSettings.JDBC_SCHEMA_VERSION, CatalogSettings.JDBC_VIEWS_SCHEMA);
            if (uri.startsWith("jdbc:postgresql:")) {
                POSTGRES_WAITS.forEach(properties::putIfAbsent);
            }
        } else if (config.catalogType().equals(CatalogSettings.REST)) {
            REST_WAITS.forEach(properties::putIfAbsent);
        }
        return properties;
    }

    /**
     * Reaches a catalog behind the network once, before Spark starts: a jdbc catalog's database is
     * connected to as Iceberg will (the {@code jdbc.*} properties go to the driver), a REST server's
     * port is connected to (unless a proxy is configured). A catalog that is down, hung or refuses
     * the login is then reported within the connection timeouts, not after the seconds a session
     * takes to start.
     *
     * @throws GibbonException of kind CONFIG naming the key to look at
     */
    static void requireReachable(ExperimentConfig config) {
        Map<String, String> properties = properties(config);
        String uri = properties.get("uri");
        if (config.catalogType().equals(CatalogSettings.JDBC)) {
            Properties driverProperties = new Properties();
            properties.forEach((key, value) -> {
                if (key.startsWith(JDBC_PREFIX)) {
                    driverProperties.setProperty(key.substring(JDBC_PREFIX.length()), value);
                }
            });
            try (Connection connection = DriverManager.getConnection(uri, driverProperties)) {
                connection.isValid(0);
            } catch (SQLException e) {
                throw failure(config, e);
            }
        } else if (config.catalogType().equals(CatalogSettings.REST) && !properties.containsKey(REST_PROXY)) {
            URI server = URI.create(uri);
            int port = server.getPort() != -1 ? server.getPort() : server.getScheme().equalsIgnoreCase("https") ? 443 : 80;
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(server.getHost(), port),
                        Integer.parseInt(properties.get(REST_CONNECTION_TIMEOUT)));
            } catch (IOException | IllegalArgumentException e) {
                throw failure(config, e);
            }
        }
    }

    /**
     * Opens the registered catalog now (Spark would on first use), once the session's Hadoop
     * settings are in place: a catalog that cannot be opened fails the command before any work.
     *
     * @throws GibbonException of kind CONFIG naming the key to look at
     */
    static void open(SparkSession spark, ExperimentConfig config) {
        try {
            spark.sessionState().catalogManager().catalog(config.catalog());
        } catch (RuntimeException e) {
            if (!setUpConcurrently(e)) {
                throw failure(config, e);
            }
            // Another run created the catalog's tables at the same moment; now they are there.
            try {
                spark.sessionState().catalogManager().catalog(config.catalog());
            } catch (RuntimeException again) {
                throw failure(config, again);
            }
        }
    }

    /**
     * Whether a JdbcCatalog failed because another process set up its database at the same moment:
     * Iceberg checks for its tables and columns, then creates them, and the slower of two processes
     * finds them created (duplicate table, column or key).
     */
    private static boolean setUpConcurrently(Throwable e) {
        SQLException sql = cause(e, SQLException.class);
        return sql != null && List.of("42P07", "42701", "23505").contains(sql.getSQLState());
    }

    /** Why a catalog did not open, as one line naming the key to look at, and never a credential. */
    private static GibbonException failure(ExperimentConfig config, Throwable e) {
        String uri = config.catalogProperties().get("uri");
        String where = "the " + config.catalogType() + " catalog at " + (uri == null
                ? Storage.absolute(config.warehouse()) : CatalogSettings.withoutCredentials(uri));
        String placeKey = uri == null ? Settings.WAREHOUSE.path() : PROPERTIES + ".uri";
        SQLException sql = cause(e, SQLException.class);
        Throwable shown = sql != null ? sql : rootCause(e);
        String why = firstLine(shown);
        if (uri != null) {
            why = why.replace(uri, CatalogSettings.withoutCredentials(uri));
        }
        String state = sql == null || sql.getSQLState() == null ? "" : sql.getSQLState();
        String password = config.catalogProperties().get("jdbc.password");
        if (state.startsWith("28")) {
            return GibbonException.config("config key '" + PROPERTIES + ".jdbc.password': " + where
                    + " refused the login (" + why + "); check jdbc.user and jdbc.password");
        }
        if (state.equals("08004") && (password == null || password.isEmpty())) {
            return GibbonException.config("config key '" + PROPERTIES + ".jdbc.password' is not set, and " + where
                    + " asks for a password (" + why + ")");
        }
        String name = shown.getClass().getSimpleName();
        if (name.equals("NotAuthorizedException") || name.equals("ForbiddenException")) {
            return GibbonException.config("config key '" + PROPERTIES + ".credential': " + where + " refused the login ("
                    + why + "); check credential or token");
        }
        return GibbonException.config("config key '" + placeKey + "': cannot open " + where + " ("
                + (sql != null ? why : name + ": " + why) + ")");
    }

    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static String firstLine(Throwable t) {
        return t.getMessage() == null ? "" : t.getMessage().lines().findFirst().orElse("");
    }
}
