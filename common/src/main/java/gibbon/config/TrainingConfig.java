package gibbon.config;

import java.util.List;

/** A validated {@code gibbon train} config; load it with {@link ConfigLoader#loadTraining}. */
public record TrainingConfig(String images, String labels, String testImages, String testLabels,
        List<String> classNames, String architecture, int limit, int epochs, int batchSize, double learningRate,
        double noiseSigma, long seed, int threads, String output, String name) {}
