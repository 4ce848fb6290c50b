package gibbon.model;

import java.io.Serializable;
import java.util.List;

/**
 * Which model to load and how to feed it, as the experiment config states it.
 *
 * @param format {@code djl} (a directory of model.json + DJL parameters, as {@code gibbon train}
 *     writes) or {@code torchscript} (a {@code torch.jit.trace}/{@code script} file)
 * @param uri the model directory (djl) or file (torchscript), any Hadoop FS location
 * @param inputShape (channels, rows, columns); torchscript only, djl reads it from model.json
 * @param classNames one name per model output; torchscript only
 * @param valueRange the input range the model was trained on; attacks work in [0, 1] and inputs
 *     are mapped onto this range inside the differentiable forward pass
 * @param mean per-channel mean subtracted inside the forward pass (empty: none)
 * @param std per-channel standard deviation divided inside the forward pass (empty: none)
 */
public record ModelSpec(String format, String uri, List<Integer> inputShape, List<String> classNames,
        List<Double> valueRange, List<Double> mean, List<Double> std) implements Serializable {
    public static final String DJL = "djl";
    public static final String TORCHSCRIPT = "torchscript";

    public ModelSpec {
        inputShape = List.copyOf(inputShape);
        classNames = List.copyOf(classNames);
        valueRange = List.copyOf(valueRange);
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }

    /** A DJL model directory fed [0, 1] inputs unnormalised. */
    public static ModelSpec djl(String uri) {
        return new ModelSpec(DJL, uri, List.of(), List.of(), List.of(0.0, 1.0), List.of(), List.of());
    }

    /** A TorchScript file fed [0, 1] inputs unnormalised. */
    public static ModelSpec torchscript(String uri, List<Integer> inputShape, List<String> classNames) {
        return new ModelSpec(TORCHSCRIPT, uri, inputShape, classNames, List.of(0.0, 1.0), List.of(), List.of());
    }

    /** Config values as the floats the engine computes with. */
    static float[] floats(List<Double> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }
}
