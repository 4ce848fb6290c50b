package gibbon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import gibbon.GibbonException;
import gibbon.model.ModelSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code models} key: several models in one job, each a run whose config is that of a
 * one-model run of it; contradictions are one-line config errors naming the key.
 */
class JobModelsTest {
    private static final Path DEFAULT = Path.of("conf", "default.conf");
    private static final Path MODELS = Path.of("conf", "models.conf");
    private static final String BN = "{ format = torchscript, uri = \"common/src/test/resources/torchscript/fashion_bn_cnn.pt\","
            + " input-shape = [1, 28, 28], class-names = [a, b, c, d, e, f, g, h, i, j] }";

    private static String fails(Path file, String... overrides) {
        GibbonException e = assertThrows(GibbonException.class, () -> ConfigLoader.load(file, List.of(overrides)));
        assertEquals(GibbonException.Kind.CONFIG, e.kind(), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void theModelsConfNamesThreeModelsAndABudget() {
        ExperimentConfig c = ConfigLoader.load(MODELS, List.of());
        assertEquals(List.of("model", "bn-cnn", "resnet20"), c.modelNames());
        assertTrue(c.manyModels());
        assertEquals(3L << 20, c.modelCacheBytes());
        assertEquals(ModelSpec.TORCHSCRIPT, c.model("resnet20").format());
        assertTrue(c.inputs().stream().anyMatch(i -> i.key().equals("models.resnet20.uri")));
        assertTrue(c.model("model").uri().contains("bundled/models/fashion-cnn"), c.model("model").uri());
    }

    @Test
    void anEntrySetToNullIsLeftOut() {
        ExperimentConfig c = ConfigLoader.load(MODELS, List.of("models.resnet20=null"));
        assertEquals(List.of("model", "bn-cnn"), c.modelNames());
        ExperimentConfig none = ConfigLoader.load(MODELS, List.of("models.resnet20=null", "models.bn-cnn=null"));
        assertFalse(none.manyModels());
        assertEquals(List.of("model"), none.modelNames());
    }

    @Test
    void eachRunRecordsTheConfigOfAOneModelRunOfItsModel() {
        ExperimentConfig job = ConfigLoader.load(DEFAULT, List.of("models.bn = " + BN));
        ExperimentConfig alone = ConfigLoader.load(DEFAULT, List.of("model = " + BN));
        ExperimentConfig run = job.forModel("bn");
        assertEquals(alone.resolvedJson(), run.resolvedJson());
        assertEquals(alone.model(), run.model());
        assertFalse(run.manyModels());
        assertEquals(ConfigLoader.load(DEFAULT, List.of()).resolvedJson(), job.forModel("model").resolvedJson());
        assertEquals(job.resolvedJson(), job.forModel("model").resolvedJson());
        assertFalse(ConfigFactory.parseString(job.resolvedJson()).hasPath("models"), job.resolvedJson());
        assertFalse(job.resolvedJson().contains("model-cache-bytes"), "the default budget is not recorded");
        assertTrue(ConfigLoader.load(DEFAULT, List.of("sweep.model-cache-bytes=512M")).resolvedJson()
                .contains("\"model-cache-bytes\":\"512M\""));
    }

    @Test
    void contradictionsAreOneLineErrorsNamingTheKey() {
        assertTrue(fails(DEFAULT, "models.model = " + BN).startsWith("config key 'models.model': 'model' names the main"));
        String twin = fails(DEFAULT, "models.cnn = { uri = \"bundled/models/fashion-cnn\" }");
        assertTrue(twin.startsWith("config key 'models.cnn': the same model as 'model'"), twin);
        String twice = fails(DEFAULT, "models.a = " + BN, "models.b = " + BN);
        assertTrue(twice.startsWith("config key 'models.b': the same model as 'models.a'"), twice);
        String device = fails(DEFAULT, "models.a = { uri = x, device = cpu }");
        assertTrue(device.startsWith("unknown config key 'models.a.device'"), device);
        String uri = fails(DEFAULT, "models.a = { format = torchscript, uri = x.pt }");
        assertTrue(uri.startsWith("config key 'models.a.input-shape'"), uri);
        String transfer = fails(Path.of("conf", "transfer.conf"), "models.a = " + BN);
        assertTrue(transfer.startsWith("config key 'models': a job of several models cannot run transfer attacks"), transfer);
        assertTrue(fails(DEFAULT, "models = [a]").startsWith("config key 'models': expected an object of named models"));
        assertTrue(fails(DEFAULT, "models.a = 3").startsWith("config key 'models.a': expected an object"));
        assertTrue(fails(DEFAULT, "models.\"a b\" = " + BN).startsWith("config key 'models.a b': a model name is"));
    }

    @Test
    void theBudgetTakesBytesOrASizeWithAUnit() {
        assertEquals(0, ConfigLoader.load(DEFAULT, List.of()).modelCacheBytes());
        assertEquals(3_000_000, ConfigLoader.load(DEFAULT, List.of("sweep.model-cache-bytes=3000000")).modelCacheBytes());
        assertEquals(2L << 30, ConfigLoader.load(DEFAULT, List.of("sweep.model-cache-bytes=2G")).modelCacheBytes());
        assertTrue(fails(DEFAULT, "sweep.model-cache-bytes=lots").startsWith("config key 'sweep.model-cache-bytes': expected a size"));
        assertTrue(fails(DEFAULT, "sweep.model-cache-bytes=-1").startsWith("config key 'sweep.model-cache-bytes'"));
    }
}
