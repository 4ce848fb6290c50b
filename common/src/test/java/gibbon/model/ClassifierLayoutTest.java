package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * On CPU, models run with channels-last input where that gives the same results; a model whose code
 * needs contiguous activations keeps the plain layout and still gives PyTorch's logits.
 */
class ClassifierLayoutTest {
    private static final String DIR = "common/src/test/resources/torchscript/";
    private static final List<String> CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    @Test
    void convolutionalModelsRunChannelsLast() {
        assertTrue(ClassifierCache.get("bundled/models/fashion-cnn", Device.cpu(), 1, Map.of()).channelsLast());
        assertTrue(ClassifierCache.get(ModelSpec.torchscript(DIR + "fashion_bn_cnn.pt", List.of(1, 28, 28), CLASSES),
                Device.cpu(), 1, Map.of()).channelsLast());
        // Not rgb_cnn: its input gradients are tiny (about 3e-3) sums of cancelling terms. The two layouts
        // agreed to rounding where this test was written, but differed by up to 80 % of the largest
        // component on an AVX-512 EPYC, where the load-time probe rightly keeps the plain layout.
    }

    @Test
    void aModelThatFlattensWithViewKeepsThePlainLayout() throws IOException {
        Classifier model = ClassifierCache.get(ModelSpec.torchscript(DIR + "view_cnn.pt", List.of(1, 28, 28), CLASSES),
                Device.cpu(), 1, Map.of());
        assertFalse(model.channelsLast());
        JsonNode reference = new ObjectMapper().readTree(Path.of(DIR, "view_reference.json").toFile()).get("logits");
        float[] expected = new float[reference.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (float) reference.get(i).asDouble();
        }
        float[] pixels = new float[2 * 28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (i % 256) / 255f;
        }
        try (NDManager m = model.newBatchManager()) {
            NDArray x = m.create(pixels, new Shape(2, 1, 28, 28));
            assertArrayEquals(expected, model.logits(x).toFloatArray(), 1e-5f);
            float size = model.lossGradient(x, m.create(new int[] {3, 7})).abs().sum().getFloat();
            assertTrue(size > 0, "input gradient's L1 size " + size);
        }
    }
}
