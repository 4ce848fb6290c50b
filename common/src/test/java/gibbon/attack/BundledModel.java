package gibbon.attack;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import gibbon.model.Classifier;
import gibbon.model.ClassifierCache;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The bundled baseline model and test set, shared by the attack tests. */
final class BundledModel {
    static final String MODEL = "bundled/models/fashion-cnn";

    private BundledModel() {}

    static Classifier model() {
        return ClassifierCache.get(MODEL, Device.cpu(), 1, Map.of());
    }

    static List<Example> examples(int n) {
        IdxDataset d = IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz",
                "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz", Map.of());
        List<Example> out = new ArrayList<>(n);
        d.read(0, n).forEachRemaining(out::add);
        return out;
    }

    static NDArray images(NDManager m, List<Example> examples) {
        byte[] bytes = new byte[examples.size() * 784];
        for (int i = 0; i < examples.size(); i++) {
            System.arraycopy(examples.get(i).pixels(), 0, bytes, i * 784, 784);
        }
        return m.create(ByteBuffer.wrap(bytes), new Shape(examples.size(), 1, 28, 28), DataType.UINT8)
                .toType(DataType.FLOAT32, false).div(255f);
    }

    static NDArray labels(NDManager m, List<Example> examples) {
        return m.create(examples.stream().mapToInt(Example::label).toArray());
    }

    static long[] ids(List<Example> examples) {
        return examples.stream().mapToLong(Example::id).toArray();
    }
}
