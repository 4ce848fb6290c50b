package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.config.ConfigLoader;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled ResNet-20 (conf/resnet20.conf) loads with BatchNorm in eval mode and gives the logits
 * PyTorch gave on the first test images when it was exported (reference.json, written by
 * train_resnet20.py with Debian's torch 1.13).
 */
class ResNet20Test {
    private static final Path DIR = Path.of("bundled/models/fashion-resnet20");

    private static Classifier model;
    private static JsonNode reference;

    @BeforeAll
    static void load() throws IOException {
        model = ClassifierCache.get(ConfigLoader.load(Path.of("conf/resnet20.conf"), List.of()).model(), Device.cpu(), 1,
                Map.of());
        reference = new ObjectMapper().readTree(DIR.resolve("reference.json").toFile());
    }

    private static NDArray images(NDManager m, int n) {
        byte[] bytes = new byte[n * 784];
        IdxDataset data = IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz",
                "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz", Map.of());
        int i = 0;
        for (var it = data.read(0, n); it.hasNext(); i++) {
            Example e = it.next();
            System.arraycopy(e.pixels(), 0, bytes, i * 784, 784);
        }
        return m.create(ByteBuffer.wrap(bytes), new Shape(n, 1, 28, 28), DataType.UINT8).toType(DataType.FLOAT32, false)
                .div(255f);
    }

    private static float[] expected() {
        JsonNode rows = reference.get("logits");
        float[] out = new float[rows.size() * 10];
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < 10; c++) {
                out[r * 10 + c] = (float) rows.get(r).get(c).asDouble();
            }
        }
        return out;
    }

    @Test
    void logitsMatchPyTorch() {
        float[] expected = expected();
        int n = expected.length / 10;
        try (NDManager m = model.newBatchManager()) {
            NDArray x = images(m, n);
            // Different libtorch versions and kernels (oneDNN here, the reference BLAS there): rounding only.
            assertArrayEquals(expected, model.logits(x).toFloatArray(), 2e-3f);
            NDArray labels = m.create(labelsOf(reference));
            TargetModel.Gradient g = model.gradient(x, logits -> Classifier.perExampleCrossEntropy(logits, labels));
            assertArrayEquals(expected, g.logits().toFloatArray(), 2e-3f, "the gradient pass gives the same logits");
            assertTrue(g.gradient().abs().sum().getFloat() > 0);
        }
    }

    @Test
    void batchNormUsesRunningStatistics() {
        try (NDManager m = model.newBatchManager()) {
            NDArray x = images(m, 8);
            float[] inBatch = model.logits(x).get("0:1").toFloatArray();
            assertArrayEquals(inBatch, model.logits(x.get("0:1")).toFloatArray(), 1e-4f);
            NDArray others = x.get("0:1").concat(m.zeros(new Shape(7, 1, 28, 28)));
            assertArrayEquals(inBatch, model.logits(others).get("0:1").toFloatArray(), 1e-4f);
        }
    }

    private static int[] labelsOf(JsonNode reference) {
        JsonNode labels = reference.get("labels");
        int[] out = new int[labels.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = labels.get(i).asInt();
        }
        return out;
    }
}
