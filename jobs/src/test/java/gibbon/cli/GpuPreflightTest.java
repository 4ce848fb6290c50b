package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.LibUtils;
import gibbon.jobs.GibbonSpark;
import gibbon.model.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs that ask for a GPU this machine cannot give fail before any table is touched, with one
 * line: model.device = gpu on CPU-only natives (decided by a real Spark task), and Spark GPU
 * scheduling in local mode, which would otherwise leave every task waiting for a GPU forever.
 */
class GpuPreflightTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void cpuOnlyNatives() {
        assumeFalse(TorchRuntime.start(1).hasCapability(StandardCapabilities.CUDA), "this JVM's libtorch has CUDA");
    }

    /** Spark's resource settings apply only to a new SparkContext, as in a fresh gibbon process. */
    @BeforeEach
    void freshSession() {
        GibbonSpark.stopIfRunning();
    }

    /** The session asked for GPU scheduling: later tests in this JVM need one without it. */
    @AfterAll
    static void stopSession() {
        GibbonSpark.stopIfRunning();
    }

    /** A small run into its own warehouse. */
    private static String[] run(String warehouse, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "conf/default.conf", "--set", "dataset.limit=16",
                "--set", "output.warehouse=" + dir.resolve(warehouse), "--set", "output.catalog=preflight",
                "--set", "spark.master=\"local[1]\""));
        args.addAll(Arrays.asList(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void gpuWithoutCudaFailsBeforeAnyTable() {
        CommandResult r = CommandResult.run(run("gpu", "--set", "model.device=gpu"));
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("gibbon: error: model.device = gpu, but libtorch "
                + Engine.getEngine("PyTorch").getVersion() + " cpu at " + LibUtils.getLibtorchPath() + " has no CUDA; "),
                r.err());
        assertTrue(r.err().contains("PYTORCH_FLAVOR=cu128 in their environment"), r.err());
        assertFalse(r.out().contains("run: "), r.out());
        assertFalse(Files.exists(dir.resolve("gpu")), "the warehouse was created");
    }

    @Test
    void sparkGpuSchedulingInLocalModeIsRefusedInsteadOfWaitingForever() {
        long start = System.nanoTime();
        CommandResult r = CommandResult.run(run("local", "--set", "model.device=cpu",
                "--set", "spark.conf.\"spark.executor.resource.gpu.amount\"=1",
                "--set", "spark.conf.\"spark.task.resource.gpu.amount\"=1"));
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("gibbon: error: spark.task.resource.gpu.amount = 1: Spark's local mode assigns"
                + " tasks no GPUs"), r.err());
        assertFalse(Files.exists(dir.resolve("local")), "the warehouse was created");
        assertTrue((System.nanoTime() - start) / 1e9 < 120, "took " + (System.nanoTime() - start) / 1e9 + " s");
    }
}
