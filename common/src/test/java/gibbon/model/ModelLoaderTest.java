package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import gibbon.GibbonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model files reach a local SHA-256-keyed copy once, and a bad model file fails in one line naming it. */
class ModelLoaderTest {
    private static final Path BUNDLED = Path.of("bundled/models/fashion-cnn");
    private static final String PARAMS = "fashion-cnn-0004.params";

    @TempDir
    Path dir;

    @BeforeAll
    static void startEngine() {
        TorchRuntime.start(1);
    }

    private ModelLoader loader() {
        return new ModelLoader(new ModelStore(dir.resolve("cache"), Map.of()));
    }

    /** A one-line model error whose message names {@code file}. */
    private static void assertModelError(GibbonException e, String file) {
        assertEquals(GibbonException.Kind.MODEL, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(file), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void identicalContentIsCopiedOnceUnderItsSha() throws IOException {
        Path other = Files.createDirectories(dir.resolve("elsewhere")).resolve("copy.params");
        Files.copy(BUNDLED.resolve(PARAMS), other);
        ModelStore store = new ModelStore(dir.resolve("cache"), Map.of());
        ModelStore.LocalCopy first = store.fetch(BUNDLED.resolve(PARAMS).toString(), PARAMS);
        ModelStore.LocalCopy second = store.fetch(other.toString(), PARAMS);
        assertEquals(ModelStore.sha256(BUNDLED.resolve(PARAMS)), first.sha256());
        assertEquals(first.sha256(), first.directory().getFileName().toString());
        assertEquals(first.file(), second.file());
        try (Stream<Path> files = Files.walk(dir.resolve("cache"))) {
            assertEquals(List.of(first.file()), files.filter(Files::isRegularFile).toList(), "one copy, no partial files");
        }
    }

    @Test
    void aMissingFileIsNamed() {
        String missing = dir.resolve("none.params").toString();
        assertModelError(assertThrows(GibbonException.class,
                () -> new ModelStore(dir.resolve("cache"), Map.of()).fetch(missing, PARAMS)), missing);
    }

    @Test
    void aModelDirectoryWithoutMetadataIsNamed() {
        GibbonException e = assertThrows(GibbonException.class,
                () -> loader().load(ModelSpec.djl(dir.toString()), Device.cpu()));
        assertModelError(e, ModelMetadata.FILE_NAME);
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void changedParametersFailTheirSha() throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.copy(BUNDLED.resolve(ModelMetadata.FILE_NAME), model.resolve(ModelMetadata.FILE_NAME));
        byte[] params = Files.readAllBytes(BUNDLED.resolve(PARAMS));
        params[params.length - 1] ^= 1;
        Files.write(model.resolve(PARAMS), params);
        GibbonException e = assertThrows(GibbonException.class,
                () -> loader().load(ModelSpec.djl(model.toString()), Device.cpu()));
        assertModelError(e, PARAMS);
        assertTrue(e.getMessage().contains("does not match model.json"), e.getMessage());
    }

    @Test
    void aFileThatIsNoTorchScriptModuleSaysHowToWriteOne() throws IOException {
        Path file = Files.write(dir.resolve("pickled.pt"), new byte[] {(byte) 0x80, 2, 'x', '.'});
        GibbonException e = assertThrows(GibbonException.class, () -> loader().load(
                ModelSpec.torchscript(file.toString(), List.of(1, 28, 28), List.of("a", "b")), Device.cpu()));
        assertModelError(e, "pickled.pt");
        assertTrue(e.getMessage().contains("cannot load as a TorchScript module"), e.getMessage());
        assertTrue(e.getMessage().endsWith("write one with torch.jit.save, not torch.save"), e.getMessage());
    }

    @Test
    void aLoadedModelRunsChannelsLastOnCpu() {
        try (Classifier model = loader().load(ModelSpec.djl(BUNDLED.toString()), Device.cpu())) {
            assertTrue(model.channelsLast());
            assertEquals(ModelStore.sha256(BUNDLED.resolve(PARAMS)), model.metadata().sha256());
        }
    }
}
