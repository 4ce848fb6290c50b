package gibbon.cli;

import gibbon.config.ConfigLoader;
import gibbon.config.TrainingConfig;
import gibbon.model.BaselineTrainer;
import gibbon.model.ModelMetadata;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gibbon train}: trains a baseline classifier with DJL and saves it with its metadata into a
 * new or empty folder, or over an existing model with {@code --overwrite}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a baseline classifier on an IDX training set and save it (parameters + model.json).")
final class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG", description = "Training config (default: conf/train.conf).")
    Path config = Path.of("conf", "train.conf");

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set train.epochs=2.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--overwrite", description = "Replace the model already in train.output (otherwise an error).")
    boolean overwrite;

    @Override
    public Integer call() {
        TrainingConfig training = ConfigLoader.loadTraining(config, overrides);
        ModelMetadata metadata = new BaselineTrainer(training, overwrite, System.out::println).train();
        System.out.printf("saved %s: test accuracy %.4f, sha256 %s%n", training.output(), metadata.testAccuracy(),
                metadata.sha256());
        return 0;
    }
}
