package gibbon.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import ai.djl.util.RandomUtils;
import gibbon.GibbonException;
import gibbon.config.TrainingConfig;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Trains a baseline classifier with DJL's Block API on an IDX training set and saves it as a model
 * directory: the parameters plus {@code model.json} (architecture, input shape, value range [0, 1],
 * class names, test accuracy, SHA-256, training settings). With {@code train.noise-sigma} > 0 each
 * training batch's inputs get Gaussian noise, as randomized smoothing's base classifiers are trained;
 * the recorded test accuracy is on clean inputs. An existing model directory is replaced only when
 * the caller allows it.
 */
public final class BaselineTrainer {
    private final TrainingConfig config;
    private final boolean overwrite;
    private final Consumer<String> log;

    /**
     * @param overwrite whether a model already in {@code train.output} may be replaced
     * @param log receives what is trained, then one line per epoch
     */
    public BaselineTrainer(TrainingConfig config, boolean overwrite, Consumer<String> log) {
        this.config = config;
        this.overwrite = overwrite;
        this.log = log;
    }

    /**
     * Trains, evaluates and saves; returns the saved model's metadata.
     *
     * @throws GibbonException of kind CONFIG, before training, when {@code train.output} holds a
     *     model and overwriting was not allowed, or holds something other than a model
     */
    public ModelMetadata train() {
        Path dir = Path.of(config.output());
        checkOutput(dir, overwrite);
        log.accept("training " + config.architecture() + " on " + config.images() + " for " + config.epochs()
                + " epochs" + (config.noiseSigma() > 0 ? " with Gaussian input noise, sigma " + config.noiseSigma() : ""));
        Engine engine = TorchRuntime.start(config.threads());
        engine.setRandomSeed((int) config.seed());
        RandomUtils.RANDOM.setSeed(config.seed());
        IdxDataset train = IdxDataset.open(config.images(), config.labels(), Map.of());
        IdxDataset test = IdxDataset.open(config.testImages(), config.testLabels(), Map.of());
        for (IdxDataset d : new IdxDataset[] {train, test}) {
            if (d.maxLabel() >= config.classNames().size()) {
                throw GibbonException.data(d.labelsUri() + ": label " + d.maxLabel() + " has no class name ("
                        + config.classNames().size() + " given in train.class-names)");
            }
        }
        int n = config.limit() == 0 ? train.size() : Math.min(config.limit(), train.size());
        int[] shape = train.shape();
        // A stream of its own, so that the noise depends on the seed alone, not on libtorch's generator.
        SplittableRandom noise = new SplittableRandom(config.seed());
        try (Model model = Model.newInstance(config.name(), Device.cpu(), TorchRuntime.ENGINE)) {
            model.setBlock(Architectures.build(config.architecture(), config.classNames().size()));
            NDManager manager = model.getNDManager();
            NDArray[] trainData = loadSlice(manager, train, 0, n);
            ArrayDataset trainSet = new ArrayDataset.Builder()
                    .setData(trainData[0])
                    .optLabels(trainData[1])
                    .setSampling(config.batchSize(), true)
                    .build();
            DefaultTrainingConfig trainingConfig = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed((float) config.learningRate())).build())
                    .addEvaluator(new Accuracy())
                    .optDevices(new Device[] {Device.cpu()})
                    .addTrainingListeners(TrainingListener.Defaults.basic());
            double testAccuracy = 0;
            try (Trainer trainer = model.newTrainer(trainingConfig)) {
                trainer.initialize(new Shape(1, shape[0], shape[1], shape[2]));
                for (int epoch = 1; epoch <= config.epochs(); epoch++) {
                    long start = System.nanoTime();
                    for (Batch batch : trainer.iterateDataset(trainSet)) {
                        if (config.noiseSigma() > 0) {
                            NDList data = batch.getData();
                            data.set(0, withNoise(data.get(0), (float) config.noiseSigma(), noise));
                        }
                        EasyTrain.trainBatch(trainer, batch);
                        trainer.step();
                        batch.close();
                    }
                    trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                    float trainAccuracy = trainer.getTrainingResult().getTrainEvaluation("Accuracy");
                    testAccuracy = accuracy(model, manager, test);
                    log.accept(String.format("epoch %d/%d: train accuracy %.4f%s, test accuracy %.4f (%.0f s)", epoch,
                            config.epochs(), trainAccuracy, config.noiseSigma() > 0 ? " (noisy inputs)" : "",
                            testAccuracy, (System.nanoTime() - start) / 1e9));
                }
            } catch (IOException | TranslateException e) {
                throw new IllegalStateException("training failed: " + e.getMessage(), e);
            }
            return save(model, dir, testAccuracy, n, shape);
        }
    }

    /**
     * Refuses an output directory that holds a model unless {@code overwrite}, and one that holds
     * anything else (a model would be mixed into it) in any case; a missing or empty one is fine.
     */
    private static void checkOutput(Path dir, boolean overwrite) {
        if (!Files.exists(dir)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw GibbonException.config(dir + ": train.output exists and is not a directory");
        }
        if (Files.isRegularFile(dir.resolve(ModelMetadata.FILE_NAME))) {
            if (!overwrite) {
                throw GibbonException.config(dir + ": a model is already there; pass --overwrite to replace it,"
                        + " or set another train.output");
            }
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
                throw GibbonException.config(dir + ": train.output is a directory with files but no "
                        + ModelMetadata.FILE_NAME + "; choose an empty or new directory");
            }
        } catch (IOException e) {
            throw GibbonException.config(dir + ": cannot read train.output (" + e.getMessage() + ")");
        }
    }

    /**
     * {@code x} + N(0, sigma²) per element, drawn from {@code random}, in a new array on x's manager.
     * Not clipped to [0, 1]: randomized smoothing classifies x + noise as it is (Cohen et al. 2019).
     */
    private static NDArray withNoise(NDArray x, float sigma, SplittableRandom random) {
        float[] noise = new float[Math.toIntExact(x.size())];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) random.nextGaussian() * sigma;
        }
        return x.add(x.getManager().create(noise, x.getShape()));
    }

    /** Saves into {@code dir}, first removing the model it held (checked to be allowed before training). */
    private ModelMetadata save(Model model, Path dir, double testAccuracy, int examples, int[] shape) {
        try {
            Files.createDirectories(dir);
            deleteModelFiles(dir);
            model.setProperty("Epoch", String.valueOf(config.epochs()));
            String paramsFile = String.format("%s-%04d.params", config.name(), config.epochs());
            model.save(dir, config.name());
            ModelMetadata metadata = new ModelMetadata(config.architecture(), shape, new float[] {0f, 1f},
                    config.classNames(), testAccuracy, paramsFile, ModelStore.sha256(dir.resolve(paramsFile)),
                    new ModelMetadata.TrainingInfo(config.images(), examples, config.epochs(), config.batchSize(),
                            config.learningRate(), config.noiseSigma(), config.seed()));
            Files.writeString(dir.resolve(ModelMetadata.FILE_NAME), metadata.toJson() + "\n", StandardCharsets.UTF_8);
            return metadata;
        } catch (IOException e) {
            throw GibbonException.config(dir + ": cannot write the model (" + e.getMessage() + ")");
        }
    }

    /** Removes model.json and every parameters file, so a replaced model leaves no stale weights behind. */
    private static void deleteModelFiles(Path dir) throws IOException {
        List<Path> modelFiles;
        try (Stream<Path> entries = Files.list(dir)) {
            modelFiles = entries.filter(p -> p.getFileName().toString().equals(ModelMetadata.FILE_NAME)
                    || p.getFileName().toString().endsWith(".params")).toList();
        }
        for (Path p : modelFiles) {
            Files.delete(p);
        }
    }

    private static double accuracy(Model model, NDManager parent, IdxDataset test) {
        int batch = 1000;
        long correct = 0;
        Classifier classifier = Classifier.wrap(model);
        for (int start = 0; start < test.size(); start += batch) {
            int end = Math.min(test.size(), start + batch);
            try (NDManager m = parent.newSubManager()) {
                NDArray[] data = loadSlice(m, test, start, end);
                NDArray predicted = classifier.logits(data[0]).argMax(1);
                correct += predicted.eq(data[1]).sum().toType(DataType.INT64, false).getLong();
            }
        }
        return (double) correct / test.size();
    }

    /** Reads examples [start, end) as (images in [0, 1], int64 labels). */
    private static NDArray[] loadSlice(NDManager manager, IdxDataset dataset, int start, int end) {
        int[] shape = dataset.shape();
        int pixels = shape[0] * shape[1] * shape[2];
        int n = end - start;
        byte[] bytes = new byte[n * pixels];
        long[] labels = new long[n];
        Iterator<Example> it = dataset.read(start, end);
        for (int i = 0; i < n; i++) {
            Example e = it.next();
            System.arraycopy(e.pixels(), 0, bytes, i * pixels, pixels);
            labels[i] = e.label();
        }
        NDArray x = manager.create(ByteBuffer.wrap(bytes), new Shape(n, shape[0], shape[1], shape[2]), DataType.UINT8)
                .toType(DataType.FLOAT32, false).div(255f);
        return new NDArray[] {x, manager.create(labels)};
    }
}
