package gibbon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.GibbonException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What each catalog type needs, checked when the config loads (conf/team.conf is the jdbc example). */
class CatalogSettingsTest {
    private static final Path TEAM = Path.of("conf", "team.conf");
    private static final Path DEFAULT = Path.of("conf", "default.conf");
    private static final String JDBC_URI = "output.catalog-properties.uri=\"jdbc:postgresql://db:5432/gibbon\"";

    private static String fails(Path config, String... overrides) {
        GibbonException e = assertThrows(GibbonException.class, () -> ConfigLoader.load(config, List.of(overrides)));
        assertEquals(GibbonException.Kind.CONFIG, e.kind());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void theTeamConfigIsAJdbcCatalogWhosePasswordComesFromTheEnvironmentAndIsNeverStored() {
        ExperimentConfig c = ConfigLoader.load(TEAM, List.of("output.catalog-properties.jdbc.password=hunter2"));
        assertEquals("jdbc", c.catalogType());
        assertTrue(c.catalogProperties().get("uri").startsWith("jdbc:postgresql://"), c.catalogProperties().toString());
        assertEquals("gibbon", c.catalogProperties().get("jdbc.user"));
        assertEquals("hunter2", c.catalogProperties().get("jdbc.password"), "the catalog itself gets the password");
        assertFalse(c.resolvedJson().contains("hunter2"), c.resolvedJson());
        assertTrue(c.resolvedJson().contains("\"password\":\"" + ConfigLoader.REDACTED + "\""), c.resolvedJson());
        assertEquals(System.getenv("GIBBON_CATALOG_PASSWORD"),
                ConfigLoader.load(TEAM, List.of()).catalogProperties().get("jdbc.password"),
                "without --set the password is the environment's, or absent");
    }

    @Test
    void aJdbcCatalogNeedsItsUriAndASharedWarehouse() {
        String noUri = fails(DEFAULT, "output.catalog-type=jdbc", "output.warehouse=/shared/warehouse");
        assertTrue(noUri.startsWith("config key 'output.catalog-properties.uri' is required for output.catalog-type = jdbc"),
                noUri);
        String notJdbc = fails(DEFAULT, "output.catalog-type=jdbc", "output.warehouse=/shared/warehouse",
                "output.catalog-properties.uri=\"postgresql://u:secret@db/gibbon\"");
        assertTrue(notJdbc.startsWith("config key 'output.catalog-properties.uri': a jdbc catalog needs a JDBC URI"), notJdbc);
        assertFalse(notJdbc.contains("secret"), "user information stays out of messages: " + notJdbc);
        String relative = fails(DEFAULT, "output.catalog-type=jdbc", JDBC_URI);
        assertTrue(relative.startsWith("config key 'output.warehouse': 'warehouse' is relative to this working directory"),
                relative);
        for (String shared : List.of("/shared/warehouse", "hdfs://nn:8020/gibbon/warehouse", "s3a://bucket/warehouse")) {
            assertEquals("jdbc", ConfigLoader.load(DEFAULT, List.of("output.catalog-type=jdbc", JDBC_URI,
                    "output.warehouse=\"" + shared + "\"")).catalogType());
        }
    }

    @Test
    void driverPropertiesWithoutTheirPrefixAndTheSchemaWithoutViewsAreRefused() {
        String bare = fails(TEAM, "output.catalog-properties.password=x");
        assertEquals("config key 'output.catalog-properties.password': the JDBC driver reads 'jdbc.password'", bare);
        String v0 = fails(TEAM, "output.catalog-properties.jdbc.schema-version=V0");
        assertTrue(v0.startsWith("config key 'output.catalog-properties.jdbc.schema-version' is 'V0'; Gibbon needs V1"), v0);
    }

    @Test
    void aRestCatalogNeedsAnHttpUri() {
        String noUri = fails(DEFAULT, "output.catalog-type=rest");
        assertTrue(noUri.startsWith("config key 'output.catalog-properties.uri' is required for output.catalog-type = rest"),
                noUri);
        String notHttp = fails(DEFAULT, "output.catalog-type=rest", "output.catalog-properties.uri=\"thrift://ms:9083\"");
        assertTrue(notHttp.contains("a rest catalog needs an http:// or https:// URI"), notHttp);
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of("output.catalog-type=rest",
                "output.catalog-properties.uri=\"https://catalog.example.com/api\"", "output.catalog-properties.token=t0k"));
        assertEquals("t0k", c.catalogProperties().get("token"));
        assertFalse(c.resolvedJson().contains("t0k"), c.resolvedJson());
    }

    @Test
    void catalogPropertiesCannotSetTheTypeOrWarehouseASecondTime() {
        for (String key : List.of("type", "warehouse")) {
            String message = fails(DEFAULT, "output.catalog-properties." + key + "=x");
            assertTrue(message.startsWith("config key 'output.catalog-properties." + key + "': set it with 'output."
                    + (key.equals("type") ? "catalog-type" : "warehouse") + "' instead"), message);
        }
    }

    @Test
    void theDefaultStaysTheHadoopCatalogInTheLocalWarehouse() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of());
        assertEquals("hadoop", c.catalogType());
        assertEquals("warehouse", c.warehouse());
        assertTrue(c.catalogProperties().isEmpty());
    }
}
