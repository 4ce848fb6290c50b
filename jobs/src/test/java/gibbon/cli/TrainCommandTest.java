package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.model.ModelMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gibbon train} run for real in this JVM on a few hundred Fashion-MNIST images: the noise
 * setting is checked and changes the weights deterministically, and a model already in the output
 * folder is replaced only with {@code --overwrite}.
 */
class TrainCommandTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final int TRAIN_EXAMPLES = 256;
    private static final int TEST_EXAMPLES = 100;

    @TempDir
    static Path data;

    /** Small IDX files cut from the bundled test set: the first 256 images to train, the next 100 to test. */
    @BeforeAll
    static void cutDataset() throws IOException {
        byte[] images = gunzip(ROOT.resolve("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz"));
        byte[] labels = gunzip(ROOT.resolve("bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz"));
        writeIdx(data.resolve("train-images"), images, 16, 28 * 28, 0, TRAIN_EXAMPLES);
        writeIdx(data.resolve("train-labels"), labels, 8, 1, 0, TRAIN_EXAMPLES);
        writeIdx(data.resolve("test-images"), images, 16, 28 * 28, TRAIN_EXAMPLES, TEST_EXAMPLES);
        writeIdx(data.resolve("test-labels"), labels, 8, 1, TRAIN_EXAMPLES, TEST_EXAMPLES);
    }

    private static byte[] gunzip(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return in.readAllBytes();
        }
    }

    /** Writes examples [from, from + count) of an IDX file with the given header and example sizes. */
    private static void writeIdx(Path file, byte[] idx, int header, int exampleBytes, int from, int count)
            throws IOException {
        ByteBuffer out = ByteBuffer.allocate(header + count * exampleBytes);
        out.put(idx, 0, header).putInt(4, count);
        out.put(idx, header + from * exampleBytes, count * exampleBytes);
        Files.write(file, out.array());
    }

    /** gibbon train with conf/train.conf on the small dataset for one epoch, plus {@code extra} arguments. */
    private static CommandResult train(Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", ROOT.resolve("conf/train.conf").toString(),
                "--set", "train.images=\"" + data.resolve("train-images") + "\"",
                "--set", "train.labels=\"" + data.resolve("train-labels") + "\"",
                "--set", "train.test-images=\"" + data.resolve("test-images") + "\"",
                "--set", "train.test-labels=\"" + data.resolve("test-labels") + "\"",
                "--set", "train.epochs=1", "--set", "train.batch-size=64",
                "--set", "train.output=\"" + output + "\""));
        args.addAll(List.of(extra));
        return CommandResult.run(args.toArray(String[]::new));
    }

    private static ModelMetadata metadata(Path modelDir) throws IOException {
        try (InputStream in = Files.newInputStream(modelDir.resolve(ModelMetadata.FILE_NAME))) {
            return ModelMetadata.read(in, modelDir.toString());
        }
    }

    @Test
    void aNegativeOrNonFiniteNoiseSigmaIsAConfigError(@TempDir Path dir) {
        for (String sigma : List.of("-0.1", "NaN", "Infinity")) {
            CommandResult r = train(dir.resolve("model"), "--set", "train.noise-sigma=" + sigma);
            assertEquals(2, r.exitCode(), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("gibbon: error: config key 'train.noise-sigma' is "), r.err());
            assertFalse(Files.exists(dir.resolve("model")));
        }
    }

    @Test
    void noiseChangesTheWeightsAndIsRepeatableFromTheSeed(@TempDir Path dir) throws IOException {
        assertEquals(0, train(dir.resolve("clean")).exitCode());
        assertEquals(0, train(dir.resolve("noisy-a"), "--set", "train.noise-sigma=0.25").exitCode());
        assertEquals(0, train(dir.resolve("noisy-b"), "--set", "train.noise-sigma=0.25").exitCode());
        ModelMetadata clean = metadata(dir.resolve("clean"));
        ModelMetadata noisyA = metadata(dir.resolve("noisy-a"));
        ModelMetadata noisyB = metadata(dir.resolve("noisy-b"));
        assertEquals(0.0, clean.training().noiseSigma());
        assertEquals(0.25, noisyA.training().noiseSigma());
        assertNotEquals(clean.sha256(), noisyA.sha256(), "the noise must reach the training batches");
        assertEquals(noisyA.sha256(), noisyB.sha256(), "the same seed must give the same noise and weights");
        assertEquals(TRAIN_EXAMPLES, noisyA.training().examples());
    }

    @Test
    void anExistingModelIsKeptWithoutOverwriteAndReplacedWithIt(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("model");
        assertEquals(0, train(model).exitCode());
        byte[] json = Files.readAllBytes(model.resolve(ModelMetadata.FILE_NAME));
        Path stale = Files.writeString(model.resolve("old-0009.params"), "weights of an older model");

        CommandResult refused = train(model, "--set", "train.seed=2");
        assertEquals(2, refused.exitCode(), refused.err());
        assertEquals("gibbon: error: " + model + ": a model is already there; pass --overwrite to replace it,"
                + " or set another train.output\n", refused.err());
        assertEquals("", refused.out(), "refused before anything is announced or trained");
        assertArrayEquals(json, Files.readAllBytes(model.resolve(ModelMetadata.FILE_NAME)));
        assertTrue(Files.exists(stale));

        CommandResult replaced = train(model, "--set", "train.seed=2", "--overwrite");
        assertEquals(0, replaced.exitCode(), replaced.err());
        ModelMetadata metadata = metadata(model);
        assertEquals(2, metadata.training().seed());
        assertFalse(Files.exists(stale), "a replaced model leaves no parameters behind");
        String[] files = model.toFile().list();
        Arrays.sort(files);
        assertArrayEquals(new String[] {metadata.parametersFile(), ModelMetadata.FILE_NAME}, files);
    }

    @Test
    void aFolderWithOtherFilesIsNeverWrittenInto(@TempDir Path dir) throws IOException {
        Path notes = Files.writeString(dir.resolve("notes.txt"), "not a model");
        for (String[] extra : List.of(new String[0], new String[] {"--overwrite"})) {
            CommandResult r = train(dir, extra);
            assertEquals(2, r.exitCode(), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("gibbon: error: " + dir + ": train.output is a directory with files"), r.err());
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(notes), files.toList());
            }
        }
    }
}
