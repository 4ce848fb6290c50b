package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import gibbon.GibbonException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TorchScript modules saved in training mode (make_fixture.py beside them): a scripted one runs in eval
 * mode once loaded, so BatchNorm uses its running statistics; a traced one keeps batch statistics
 * whatever its mode, and the loader refuses it in one line.
 */
class BatchNormModeTest {
    private static final String DIR = "common/src/test/resources/batchnorm-train-mode/";
    private static final List<String> CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    @TempDir
    Path dir;

    @BeforeAll
    static void startEngine() {
        TorchRuntime.start(1);
    }

    private Classifier load(String file) {
        return new ModelLoader(new ModelStore(dir.resolve("cache"), Map.of()))
                .load(ModelSpec.torchscript(DIR + file, List.of(1, 28, 28), CLASSES), Device.cpu());
    }

    @Test
    void aScriptedModuleSavedInTrainingModeRunsInEvalMode() {
        try (Classifier model = load("scripted_train.pt"); NDManager m = model.newBatchManager()) {
            m.getEngine().setRandomSeed(5);
            NDArray batch = m.randomUniform(0f, 1f, new Shape(8, 1, 28, 28));
            float[] inBatch = model.logits(batch).get("0:1").toFloatArray();
            float[] alone = model.logits(batch.get("0:1")).toFloatArray();
            assertArrayEquals(inBatch, alone, 1e-5f);
            TargetModel.Gradient g = model.gradient(batch.get("0:1"), logits -> logits.sum(new int[] {1}));
            assertArrayEquals(alone, g.logits().toFloatArray(), 1e-5f, "the gradient pass runs in eval mode too");
        }
    }

    @Test
    void aModuleTracedInTrainingModeIsRefused() {
        GibbonException e = assertThrows(GibbonException.class, () -> load("traced_train.pt"));
        assertEquals(GibbonException.Kind.MODEL, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("traced_train.pt") && e.getMessage().contains("rest of its batch"),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
