package gibbon.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import gibbon.GibbonException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.List;

/**
 * What a saved model says of itself ({@code model.json} beside its parameters): the architecture
 * that rebuilds its Block, the input shape (channels, rows, columns), the value range its inputs
 * live in, the class names (one per output), its test accuracy, and the SHA-256 of the parameter
 * file so that every run records exactly which weights it attacked.
 */
public record ModelMetadata(
        @JsonProperty("architecture") String architecture,
        @JsonProperty("input_shape") int[] inputShape,
        @JsonProperty("value_range") float[] valueRange,
        @JsonProperty("class_names") List<String> classNames,
        @JsonProperty("test_accuracy") double testAccuracy,
        @JsonProperty("parameters_file") String parametersFile,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("training") TrainingInfo training)
        implements Serializable {

    /** How the parameters were produced, so the model can be reproduced. */
    public record TrainingInfo(
            @JsonProperty("dataset") String dataset,
            @JsonProperty("examples") int examples,
            @JsonProperty("epochs") int epochs,
            @JsonProperty("batch_size") int batchSize,
            @JsonProperty("learning_rate") double learningRate,
            @JsonProperty("noise_sigma") double noiseSigma,
            @JsonProperty("seed") long seed)
            implements Serializable {}

    /** File name of the metadata inside a model directory. */
    public static final String FILE_NAME = "model.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public int numClasses() {
        return classNames.size();
    }

    public static ModelMetadata read(InputStream in, String location) {
        try {
            ModelMetadata m = JSON.readValue(in, ModelMetadata.class);
            m.check(location);
            return m;
        } catch (IOException e) {
            throw GibbonException.model(location + ": not a valid model metadata file (" + firstLine(e.getMessage()) + ")");
        }
    }

    private void check(String location) {
        if (architecture == null || inputShape == null || classNames == null || parametersFile == null) {
            throw GibbonException.model(location
                    + ": model metadata lacks one of architecture, input_shape, class_names, parameters_file");
        }
        if (inputShape.length != 3) {
            throw GibbonException.model(location + ": input_shape must be [channels, rows, columns]");
        }
        if (classNames.size() < 2) {
            throw GibbonException.model(location + ": class_names must name at least 2 classes");
        }
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
