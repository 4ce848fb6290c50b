package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.Platform;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import gibbon.io.Storage;
import org.apache.iceberg.IcebergBuild;
import org.junit.jupiter.api.Test;

/**
 * {@code gibbon doctor} run for real in this JVM: its lines must show what DJL, Spark, Iceberg and
 * the JVM themselves report, and failures must be reported as problems with exit 6, in bounded time.
 */
class DoctorCommandTest {
    /** The doctor's lines by their first word ("libtorch" -> "2.7.1 cpu (CUDA: no), /..."). */
    private static Map<String, String> lines(String out) {
        Map<String, String> lines = new LinkedHashMap<>();
        for (String line : out.lines().toList()) {
            String[] parts = line.split("\\s+", 2);
            if (parts.length == 2) {
                lines.putIfAbsent(parts[0], parts[1]);
            }
        }
        return lines;
    }

    private static Engine engine() {
        return Engine.getEngine("PyTorch");
    }

    @Test
    void showsTheVersionsNativesAndDevicesTheLibrariesReport() {
        CommandResult r = CommandResult.run("doctor");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<String, String> lines = lines(r.out());
        Engine engine = engine();
        assertTrue(lines.get("java").startsWith(System.getProperty("java.version") + " ("
                + System.getProperty("java.vendor") + ")"), lines.get("java"));
        assertTrue(lines.get("spark").startsWith(org.apache.spark.package$.MODULE$.SPARK_VERSION() + ", master "),
                lines.get("spark"));
        assertEquals(IcebergBuild.version(), lines.get("iceberg"));
        assertEquals(Engine.getDjlVersion(), lines.get("djl"));
        assertTrue(lines.get("platform").startsWith(Platform.fromSystem("pytorch").getClassifier() + ", bundled natives: "),
                lines.get("platform"));
        String flavor = System.getenv("PYTORCH_LIBRARY_PATH") == null ? Platform.detectPlatform("pytorch").getFlavor()
                : lines.get("libtorch").split(" ")[1];
        assertEquals(engine.getVersion() + " " + flavor + " (CUDA: "
                + (engine.hasCapability(StandardCapabilities.CUDA) ? "yes" : "no") + "), " + LibUtils.getLibtorchPath(),
                lines.get("libtorch"));
        assertTrue(lines.get("devices").startsWith(Arrays.stream(engine.getDevices()).map(Device::toString)
                .collect(Collectors.joining(", "))), lines.get("devices"));
        assertTrue(lines.get("threads").startsWith("intra-op " + JniUtils.getNumThreads() + ", inter-op "
                + JniUtils.getNumInteropThreads()), lines.get("threads"));
        assertTrue(lines.get("device").startsWith(Device.cpu() + ": model.device = auto and Spark assigned no GPU"),
                lines.get("device"));
        for (String check : List.of("catalog", "warehouse", "dataset.images", "dataset.labels", "model.uri")) {
            assertTrue(lines.get(check).contains("reachable") && !lines.get(check).contains("PROBLEM"), check + ": "
                    + lines.get(check));
        }
        assertTrue(r.out().strip().endsWith("every check passed"), r.out());
    }

    @Test
    void aGpuTheNativesCannotUseIsAProblem() {
        assumeFalse(engine().hasCapability(StandardCapabilities.CUDA), "this JVM's libtorch has CUDA");
        CommandResult r = CommandResult.run("doctor", "--set", "model.device=gpu");
        assertEquals(DoctorCommand.PROBLEM, r.exitCode(), r.out() + r.err());
        String device = lines(r.out()).get("device");
        assertTrue(device.startsWith("PROBLEM: model.device = gpu") && device.contains(LibUtils.getLibtorchPath()
                + " has no CUDA") && device.contains("PYTORCH_FLAVOR=cu128"), device);
        assertTrue(r.out().strip().endsWith("1 problem: device (exit 6)"), r.out());
    }

    @Test
    void theDeviceLineJudgesSparksGpuSettings() {
        assumeFalse(engine().hasCapability(StandardCapabilities.CUDA), "this JVM's libtorch has CUDA");
        String task = "spark.conf.\"spark.task.resource.gpu.amount\"=1";
        String executor = "spark.conf.\"spark.executor.resource.gpu.amount\"=1";
        CommandResult local = CommandResult.run("doctor", "--set", task, "--set", executor);
        assertEquals(DoctorCommand.PROBLEM, local.exitCode(), local.out());
        assertTrue(lines(local.out()).get("device").startsWith("PROBLEM: spark.task.resource.gpu.amount = 1: Spark's"
                + " local mode assigns tasks no GPUs"), local.out());

        String cluster = "spark.master=\"spark://127.0.0.1:7077\"";
        CommandResult jarNatives = CommandResult.run("doctor", "--set", cluster, "--set", task, "--set", executor);
        assertEquals(DoctorCommand.PROBLEM, jarNatives.exitCode(), jarNatives.out());
        assertTrue(lines(jarNatives.out()).get("device").startsWith("PROBLEM: with this machine's natives:"
                + " model.device = auto: Spark assigned GPU 0 to the task, but libtorch " + engine().getVersion()),
                jarNatives.out());

        String library = "spark.conf.\"spark.executorEnv.PYTORCH_LIBRARY_PATH\"=/opt/libtorch/lib";
        CommandResult noFlavor = CommandResult.run("doctor", "--set", cluster, "--set", task, "--set", executor,
                "--set", library);
        assertEquals(DoctorCommand.PROBLEM, noFlavor.exitCode(), noFlavor.out());
        assertTrue(lines(noFlavor.out()).get("device").contains("without spark.executorEnv.PYTORCH_FLAVOR"), noFlavor.out());

        CommandResult installed = CommandResult.run("doctor", "--set", cluster, "--set", task, "--set", executor,
                "--set", library, "--set", "spark.conf.\"spark.executorEnv.PYTORCH_FLAVOR\"=cu128");
        assertEquals(0, installed.exitCode(), installed.out());
        assertEquals("executors load libtorch cu128 from /opt/libtorch/lib (spark.executorEnv.PYTORCH_LIBRARY_PATH);"
                + " a run checks it on an executor before any attack", lines(installed.out()).get("device"));
    }

    @Test
    void anUnreachableWarehouseAndAMissingDatasetAreReportedInBoundedTime() {
        long start = System.nanoTime();
        CommandResult r = CommandResult.run("doctor", "--set", "output.warehouse=\"hdfs://127.0.0.1:1/x\"",
                "--set", "dataset.labels=/no/such/labels.gz");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(DoctorCommand.PROBLEM, r.exitCode(), r.out() + r.err());
        Map<String, String> lines = lines(r.out());
        assertTrue(lines.get("warehouse").startsWith("PROBLEM: hdfs://127.0.0.1:1/x: unreachable: "), lines.get("warehouse"));
        assertTrue(lines.get("catalog").contains(": unreachable: "), lines.get("catalog"));
        assertEquals("PROBLEM: config key 'dataset.labels': " + Storage.absolute("/no/such/labels.gz") + ": not found",
                lines.get("dataset.labels"));
        assertTrue(lines.get("dataset.images").endsWith(": reachable"), lines.get("dataset.images"));
        assertTrue(r.out().strip().endsWith("3 problems: catalog, warehouse, dataset.labels (exit 6)"), r.out());
        assertTrue(seconds < DoctorCommand.CHECK_SECONDS + 15, seconds + " s");
    }

    @Test
    void aHostThatNeverAnswersIsReportedWhenTheCheckTimeIsUp() throws IOException {
        // The kernel accepts connections into the backlog; nothing ever reads or answers them.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String warehouse = "hdfs://127.0.0.1:" + silent.getLocalPort() + "/x";
            long start = System.nanoTime();
            CommandResult r = CommandResult.run("doctor", "--set", "output.warehouse=\"" + warehouse + "\"");
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(DoctorCommand.PROBLEM, r.exitCode(), r.out() + r.err());
            assertEquals("PROBLEM: " + warehouse + ": unreachable: no answer within " + DoctorCommand.CHECK_SECONDS + " s",
                    lines(r.out()).get("warehouse"));
            assertTrue(lines(r.out()).get("catalog").endsWith("unreachable: no answer within " + DoctorCommand.CHECK_SECONDS
                    + " s"), r.out());
            assertTrue(seconds >= DoctorCommand.CHECK_SECONDS && seconds < DoctorCommand.CHECK_SECONDS + 15, seconds + " s");
        }
    }

    @Test
    void aBadConfigIsAConfigError() {
        CommandResult r = CommandResult.run("doctor", "--set", "model.device=tpu");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("model.device"), r.err());
    }
}
