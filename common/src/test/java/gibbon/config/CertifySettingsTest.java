package gibbon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.GibbonException;
import gibbon.attack.AttackPlan;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code certify} section: defaults, checks that name the key, and what a run records. */
class CertifySettingsTest {
    private static final Path DEFAULT = Path.of("conf", "default.conf");

    private static ExperimentConfig load(String... overrides) {
        return ConfigLoader.load(DEFAULT, List.of(overrides));
    }

    private static String error(String... overrides) {
        GibbonException e = assertThrows(GibbonException.class, () -> load(overrides));
        assertEquals(GibbonException.Kind.CONFIG, e.kind());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void defaultsAreThePapers() {
        CertifySettings c = load().certify();
        assertFalse(c.enabled());
        assertEquals(List.of(0.25), c.sigmas());
        assertEquals(100, c.n0());
        assertEquals(100_000, c.n());
        assertEquals(0.001, c.alpha());
        assertEquals(0, c.chunkSize() % c.batchSize());
        assertEquals(0.0, c.radii().get(0));
    }

    @Test
    void aRunThatDoesNotCertifyRecordsTheConfigItRecordedBefore() {
        assertFalse(load().resolvedJson().contains("\"certify\""));
        assertTrue(load("certify.enabled=true").resolvedJson().contains("\"certify\""));
    }

    @Test
    void certifyConfLoads() {
        ExperimentConfig c = ConfigLoader.load(Path.of("conf", "certify.conf"), List.of());
        assertTrue(c.certify().enabled());
        assertEquals(10_000, c.certify().n());
        assertEquals(500, c.dataset().limit());
        assertEquals(List.of("pgd_l2"), c.attacks().stream().map(AttackPlan::label).toList());
        assertEquals(c.certify().radii(), c.attacks().get(0).epsilons());
    }

    @Test
    void badValuesNameTheirKey() {
        assertTrue(error("certify.sigma=[0.25, -1]").startsWith("config key 'certify.sigma' holds -1.0"));
        assertTrue(error("certify.sigma=[]").startsWith("config key 'certify.sigma' is empty"));
        assertTrue(error("certify.sigma=[0.5, 0.5]").startsWith("config key 'certify.sigma' lists a value twice"));
        assertTrue(error("certify.alpha=0.7").startsWith("config key 'certify.alpha' is 0.7"));
        assertTrue(error("certify.n=0").startsWith("config key 'certify.n' is 0, must be at least 1"));
        assertTrue(error("certify.chunk-size=150").contains("multiple of certify.batch-size"));
        assertTrue(error("certify.enabled=maybe").startsWith("config key 'certify.enabled': expected true or false"));
        assertTrue(error("certify.radii=[0, -0.5]").startsWith("config key 'certify.radii' holds -0.5"));
        assertTrue(error("certify.sigmas=[0.5]").contains("did you mean 'certify.sigma'"));
    }
}
