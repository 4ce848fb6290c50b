package gibbon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Credentials in URIs and in config values are hidden wherever Gibbon shows or stores them. */
class SecretsTest {
    private static final Path DEFAULT = Path.of("conf/default.conf");

    @Test
    void hidesThePasswordOfAUri() {
        assertEquals("s3a://<redacted>@bucket/data/images.gz", Secrets.redact("s3a://AKIAEXAMPLE:s3cr3t@bucket/data/images.gz"));
        // AWS secret keys hold raw '/' and '+'; the whole user info goes, not only up to the first '/'.
        assertEquals("s3a://<redacted>@bucket/m", Secrets.redact("s3a://AKIAEXAMPLE:wJal/rXUtn+FEMI/K7MDENG@bucket/m"));
        assertEquals("s3a://<redacted>@bucket/m", Secrets.redact("s3a://:only-a-secret@bucket/m"));
        assertEquals("jdbc:postgresql://<redacted>@db.example:5432/iceberg",
                Secrets.redact("jdbc:postgresql://gibbon:hunter2@db.example:5432/iceberg"));
        assertEquals("ftp://<redacted>@host/x", Secrets.redact("ftp://user:p@ss@host/x"));
    }

    @Test
    void hidesSecretQueryParameters() {
        assertEquals("jdbc:postgresql://db:5432/iceberg?user=gibbon&password=<redacted>&ssl=true",
                Secrets.redact("jdbc:postgresql://db:5432/iceberg?user=gibbon&password=hunter2&ssl=true"));
        assertEquals("jdbc:sqlserver://db:1433;user=sa;password=<redacted>",
                Secrets.redact("jdbc:sqlserver://db:1433;user=sa;password=hunter2"));
        assertEquals("https://b.s3.amazonaws.com/k?X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>&X-Amz-Expires=60",
                Secrets.redact("https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F2026&X-Amz-Signature=abc123&X-Amz-Expires=60"));
        assertEquals("https://a.blob.core.windows.net/c/x?sv=2022&sig=<redacted>",
                Secrets.redact("https://a.blob.core.windows.net/c/x?sv=2022&sig=Zm9v"));
    }

    @Test
    void leavesLocationsWithoutCredentialsAlone() {
        for (String plain : List.of("s3a://bucket/data/images.gz", "hdfs://nn:8020/data/x", "hdfs://nn:8020/odd@name",
                "wasbs://container@account.blob.core.windows.net/x", "hdfs://gibbon@nn:8020/x", "file:/tmp/a:b@c",
                "bundled/models/fashion-cnn", "jdbc:postgresql://db:5432/iceberg?user=gibbon&ssl=true",
                "hdfs://[::1]:8020/x@y", "s3a://bucket/a:b@c", "file:///tmp/x:y@z",
                "config key 'model.uri': s3a://bucket/m: not found")) {
            assertEquals(plain, Secrets.redact(plain));
        }
    }

    @Test
    void hidesEveryUriInAMessage() {
        assertEquals("cannot read s3a://<redacted>@a/x nor jdbc:postgresql://h/db?password=<redacted> (retry)",
                Secrets.redact("cannot read s3a://K:S@a/x nor jdbc:postgresql://h/db?password=pw (retry)"));
    }

    @Test
    void credentialsInALocationAreAConfigErrorThatDoesNotShowThem() {
        for (String key : List.of("dataset.images", "model.uri", "output.warehouse")) {
            GibbonException e = assertThrows(GibbonException.class, () -> ConfigLoader.load(DEFAULT,
                    List.of(key + "=s3a://AKIAEXAMPLE:s3cr3t-value@bucket/x")));
            assertEquals(GibbonException.Kind.CONFIG, e.kind());
            assertTrue(e.getMessage().startsWith("config key '" + key + "': s3a://<redacted>@bucket/x: credentials do not belong in a location"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("fs.s3a.secret.key"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cr3t-value") || e.getMessage().contains("AKIAEXAMPLE"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        GibbonException transfer = assertThrows(GibbonException.class, () -> ConfigLoader.load(DEFAULT,
                List.of("transfer.models.other.uri=\"hdfs://u:pw@nn:8020/m\"")));
        assertTrue(transfer.getMessage().startsWith("config key 'transfer.models.other.uri': hdfs://<redacted>@nn:8020/m"),
                transfer.getMessage());
    }

    @Test
    void runsConfigHidesCredentialsInsideValues() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of(
                "output.catalog-properties.uri=\"jdbc:postgresql://db:5432/iceberg?user=gibbon&password=hunter2\"",
                "spark.conf.\"spark.hadoop.fs.s3a.secret.key\"=s3cr3t-value"));
        assertFalse(c.resolvedJson().contains("hunter2") || c.resolvedJson().contains("s3cr3t-value"), c.resolvedJson());
        assertTrue(c.resolvedJson().contains("jdbc:postgresql://db:5432/iceberg?user=gibbon&password=<redacted>"),
                c.resolvedJson());
        assertEquals("jdbc:postgresql://db:5432/iceberg?user=gibbon&password=hunter2", c.catalogProperties().get("uri"),
                "the catalog itself still gets the password");
    }
}
