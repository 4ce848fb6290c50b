package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.Platform;
import gibbon.GibbonException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The device decision with injected natives (a CPU-only libtorch, a CUDA one seeing two GPUs), and
 * once with the natives this JVM really loaded.
 */
class DeviceChoiceTest {
    private static final TorchNatives CPU_ONLY = new TorchNatives("2.7.1", "cpu", "/cache/2.7.1-cpu-linux-x86_64", false, 0);
    private static final TorchNatives TWO_GPUS = new TorchNatives("2.7.1", "cu128", "/opt/libtorch/lib", true, 2);
    private static final TorchNatives CUDA_NO_DEVICE = new TorchNatives("2.7.1", "cu128", "/opt/libtorch/lib", true, 0);

    private static Device device(String setting, TorchNatives natives, String assigned) {
        return DeviceChoice.choose(setting, natives, Optional.ofNullable(assigned)).device();
    }

    private static String error(String setting, TorchNatives natives, String assigned) {
        return assertThrows(GibbonException.class,
                () -> DeviceChoice.choose(setting, natives, Optional.ofNullable(assigned))).getMessage();
    }

    @Test
    void autoRunsOnTheAssignedGpuOrTheCpu() {
        assertEquals(Device.cpu(), device("auto", CPU_ONLY, null));
        assertEquals(Device.cpu(), device("auto", TWO_GPUS, null));
        assertEquals(Device.gpu(1), device("auto", TWO_GPUS, "1"));
        assertEquals(Device.gpu(0), device("auto", TWO_GPUS, " 0 "));
    }

    @Test
    void anAssignedGpuWithoutCudaIsAnErrorNamingTheNativesAndTheRemedy() {
        String message = error("auto", CPU_ONLY, "0");
        assertTrue(message.startsWith("model.device = auto: Spark assigned GPU 0 to the task, but libtorch 2.7.1 cpu at "
                + CPU_ONLY.path() + " has no CUDA; "), message);
        assertTrue(message.contains("PYTORCH_LIBRARY_PATH") && message.contains("PYTORCH_FLAVOR=cu128"), message);
        assertEquals(1, message.lines().count());
    }

    @Test
    void gpuWithoutCudaIsAnError() {
        assertTrue(error("gpu", CPU_ONLY, null).startsWith("model.device = gpu, but libtorch 2.7.1 cpu at "));
        assertTrue(error("gpu:0", CPU_ONLY, null).contains("has no CUDA"));
        assertTrue(error("gpu", CUDA_NO_DEVICE, null).contains("sees no GPU"));
    }

    @Test
    void aGpuIndexBeyondTheDevicesIsAnError() {
        assertEquals(Device.gpu(1), device("gpu:1", TWO_GPUS, null));
        assertTrue(error("gpu:2", TWO_GPUS, null).contains("sees 2 GPUs (0-1)"));
        assertTrue(error("auto", TWO_GPUS, "3").contains("Spark assigned GPU 3 to the task, but libtorch 2.7.1 cu128"));
    }

    @Test
    void gpuFollowsSparkAndDefaultsToTheFirst() {
        assertEquals(Device.gpu(1), device("gpu", TWO_GPUS, "1"));
        assertEquals(Device.gpu(0), device("gpu", TWO_GPUS, null));
        assertEquals(Device.gpu(1), device("gpu:1", TWO_GPUS, "1"));
    }

    @Test
    void aPinnedGpuOtherThanSparksIsAnError() {
        assertTrue(error("gpu:1", TWO_GPUS, "0").contains("set model.device = auto"));
    }

    @Test
    void cpuStaysCpuAndSaysWhenAnAssignedGpuIdles() {
        DeviceChoice.Choice withGpu = DeviceChoice.choose("cpu", TWO_GPUS, Optional.of("1"));
        assertEquals(Device.cpu(), withGpu.device());
        assertEquals("model.device = cpu, although Spark assigned GPU 1 to the task: it stays idle", withGpu.reason());
        assertEquals(Device.cpu(), device("cpu", CPU_ONLY, "0"));
        assertEquals("model.device = cpu", DeviceChoice.choose("cpu", CPU_ONLY, Optional.empty()).reason());
    }

    @Test
    void rejectsANonNumericAddress() {
        assertTrue(error("auto", TWO_GPUS, "GPU-5f3a").contains("'GPU-5f3a' is not a device index"));
    }

    @Test
    void theLoadedNativesAreWhatDjlReports() {
        Engine engine = TorchRuntime.start(1);
        TorchNatives natives = TorchNatives.of(engine);
        assertEquals(engine.getVersion(), natives.version());
        assertEquals(LibUtils.getLibtorchPath(), natives.path());
        assertEquals(engine.hasCapability(StandardCapabilities.CUDA), natives.cuda());
        assertEquals(engine.getGpuCount(), natives.gpus());
        if (System.getenv("PYTORCH_LIBRARY_PATH") == null) {
            assertEquals(Platform.detectPlatform("pytorch").getFlavor(), natives.flavor());
            assertTrue(LibtorchNatives.bundled().stream().anyMatch(b -> b.flavor().equals(natives.flavor())
                    && natives.path().endsWith(b.platform())), LibtorchNatives.bundled() + " vs " + natives);
        }
        if (!natives.cuda()) {
            // This JVM's own CPU natives: a GPU assigned to it is refused before any model loads.
            assertTrue(error("auto", natives, "0").contains(natives.describe() + " has no CUDA"));
        }
    }

    @Test
    void theJniJarCarriesTheCudaFlavourTheHintNames() {
        // The hint tells users to set PYTORCH_FLAVOR to this flavour: DJL then loads this JNI library.
        assertNotNull(Thread.currentThread().getContextClassLoader().getResource(
                "jnilib/linux-x86_64/" + TorchNatives.CUDA_FLAVOR + "/libdjl_torch.so"));
    }
}
