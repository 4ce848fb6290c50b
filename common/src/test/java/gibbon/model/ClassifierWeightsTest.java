package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attacks need input gradients only: a backward pass through a loaded model must not compute weight
 * gradients (a TorchScript module loaded with trainable weights did, costing about 13 % of every step).
 */
class ClassifierWeightsTest {
    private static Classifier load(String location) {
        return location.endsWith(".pt")
                ? ClassifierCache.get(ModelSpec.torchscript(location, List.of(1, 28, 28),
                        List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")), Device.cpu(), 1, Map.of())
                : ClassifierCache.get(location, Device.cpu(), 1, Map.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bundled/models/fashion-cnn", "common/src/test/resources/torchscript/fashion_bn_cnn.pt"})
    void inputGradientsLeaveTheWeightsWithoutGradients(String location) {
        Classifier model = load(location);
        assertFalse(model.weights().isEmpty(), "the model has weights");
        try (NDManager m = model.newBatchManager()) {
            NDArray x = m.randomUniform(0f, 1f, new Shape(8, 1, 28, 28));
            NDArray gradient = model.lossGradient(x, m.create(new int[] {0, 1, 2, 3, 4, 5, 6, 7}));
            assertTrue(gradient.abs().sum().getFloat() > 0, "the input gradient is non-zero");
        }
        for (NDArray w : model.weights()) {
            assertFalse(w.hasGradient(), "weight " + w.getName() + " requires a gradient");
        }
    }
}
