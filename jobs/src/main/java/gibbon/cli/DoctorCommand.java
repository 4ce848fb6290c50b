package gibbon.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Utils;
import gibbon.GibbonException;
import gibbon.GibbonVersion;
import gibbon.Secrets;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.io.Storage;
import gibbon.jobs.DevicePreflight;
import gibbon.jobs.GibbonSpark;
import gibbon.model.DeviceChoice;
import gibbon.model.LibtorchNatives;
import gibbon.model.TorchNatives;
import gibbon.model.TorchRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.IcebergBuild;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.exceptions.NoSuchNamespaceException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gibbon doctor}: one screen on what a run would meet here: the versions, the libtorch
 * natives and the devices they see, the device a task would choose, and whether the catalog, the
 * warehouse, the dataset and the model answer. Starts no Spark: the catalog is asked through
 * Iceberg's own client with the properties Spark would give it, and every remote check has
 * {@value #CHECK_SECONDS} s, so an unreachable host is reported, not waited for.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check this installation and a config: versions, libtorch natives and devices, catalog,"
                + " warehouse, dataset and model.", "Exit 0 when every check passes, " + DoctorCommand.PROBLEM
                + " when one fails (its line says why)."})
final class DoctorCommand implements Callable<Integer> {
    /** Exit code when a check fails. */
    static final int PROBLEM = 6;
    /** How long a check of a remote location or catalog may take before it is reported unreachable. */
    static final int CHECK_SECONDS = 10;


    @Option(names = "--config", paramLabel = "CONFIG", description = "Experiment config to check (default: conf/default.conf).")
    Path config = Path.of("conf", "default.conf");

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set model.device=gpu.")
    List<String> overrides = new ArrayList<>();

    private final List<String> problems = new ArrayList<>();
    private PrintStream out;
    private ExperimentConfig experiment;
    /**
     * When the remote checks' time is up ({@link System#nanoTime()}): CHECK_SECONDS after the first
     * of them is awaited, so that each has had at least that long.
     */
    private Long deadline;

    @Override
    public Integer call() {
        // Spark's spark.hadoop.* settings count, as in a run.
        ExperimentConfig c = GibbonSpark.withSparkHadoop(ConfigLoader.load(config, overrides));
        experiment = c;
        out = System.out;
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "gibbon-doctor");
            t.setDaemon(true);
            return t;
        });
        try {
            // Remote checks start first and run while the engine loads.
            Future<String> warehouse = pool.submit(() -> warehouse(c));
            Future<String> catalog = pool.submit(() -> catalog(c));
            List<Future<String>> inputs = c.inputs().stream().map(i -> pool.submit(() -> {
                Storage.requireExists(i.key(), i.location(), i.expect(), c.hadoop());
                return Storage.absolute(i.location()) + ": reachable";
            })).toList();

            String master = System.getProperty("spark.master", c.sparkMaster());
            ok("config", config + (overrides.isEmpty() ? "" : " " + String.join(" ", overrides.stream()
                    .map(o -> "--set " + o).toList())));
            ok("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
                    + System.getProperty("java.home"));
            ok("gibbon", GibbonVersion.get());
            ok("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION() + ", master " + master);
            ok("iceberg", IcebergBuild.version());
            ok("djl", Engine.getDjlVersion());
            natives(c).ifPresent(n -> device(c, n, master));
            String catalogName = c.catalog() + " (" + c.catalogType() + (c.catalogProperties().containsKey("uri")
                    ? ", uri " + Secrets.redact(c.catalogProperties().get("uri")) : "") + "), namespace " + c.namespace();
            report("catalog", catalogName, catalog);
            report("warehouse", Storage.absolute(c.warehouse()), warehouse);
            for (int i = 0; i < inputs.size(); i++) {
                report(c.inputs().get(i).key(), null, inputs.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
        out.println();
        if (problems.isEmpty()) {
            out.println("every check passed");
        } else {
            out.println(problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + ": "
                    + String.join(", ", problems) + " (exit " + PROBLEM + ")");
        }
        out.flush();
        return problems.isEmpty() ? 0 : PROBLEM;
    }

    /** The platform, the natives for it and the loaded libtorch; empty when none could be loaded. */
    private Optional<TorchNatives> natives(ExperimentConfig c) {
        List<LibtorchNatives.Bundle> bundled = LibtorchNatives.bundled();
        String bundles = bundled.isEmpty() ? "none" : bundled.stream()
                .map(b -> b.flavor() + " " + b.version() + " for " + b.platform()).collect(Collectors.joining(", "));
        try {
            LibtorchNatives.require();
        } catch (GibbonException e) {
            problem("platform", e.getMessage());
            return Optional.empty();
        }
        String override = Utils.getEnvOrSystemProperty("PYTORCH_LIBRARY_PATH");
        ok("platform", LibtorchNatives.platform() + ", bundled natives: " + bundles
                + (override == null ? "" : "; PYTORCH_LIBRARY_PATH = " + override));
        TorchNatives natives;
        try {
            natives = TorchNatives.of(TorchRuntime.start(c.threads()));
        } catch (RuntimeException | LinkageError e) {
            problem("libtorch", "cannot load: " + Storage.rootCause(e));
            return Optional.empty();
        }
        ok("libtorch", natives.version() + " " + natives.flavor() + " (CUDA: " + (natives.cuda() ? "yes" : "no")
                + "), " + natives.path());
        Device[] devices = Engine.getEngine(TorchRuntime.ENGINE).getDevices();
        ok("devices", Arrays.stream(devices).map(Device::toString).collect(Collectors.joining(", "))
                + (natives.gpus() > 0 ? "" : natives.cuda() ? " (CUDA, but no GPU visible)" : " (no CUDA in this libtorch)"));
        ok("threads", "intra-op " + JniUtils.getNumThreads() + ", inter-op " + JniUtils.getNumInteropThreads()
                + " (sweep.threads = " + c.threads() + ")");
        return Optional.of(natives);
    }

    /**
     * The device a task would choose with this JVM's natives, given GPU 0 when Spark's settings
     * have it assign tasks GPUs. Executors load the same natives (the jar's) unless
     * spark.executorEnv points them at another libtorch; then only a run's preflight on an
     * executor can tell.
     */
    private void device(ExperimentConfig c, TorchNatives natives, String master) {
        boolean local = master.equals("local") || master.startsWith("local[");
        try {
            DevicePreflight.requireSchedulable(local, this::sparkSetting);
        } catch (GibbonException e) {
            problem("device", e.getMessage());
            return;
        }
        String executorLibrary = sparkSetting("spark.executorEnv.PYTORCH_LIBRARY_PATH");
        if (!local && executorLibrary != null) {
            String flavor = sparkSetting("spark.executorEnv.PYTORCH_FLAVOR");
            if (flavor == null) {
                // DJL would then guess a flavour (cuNNN-precxx11) whose JNI library pytorch-jni does not carry.
                problem("device", "spark.executorEnv.PYTORCH_LIBRARY_PATH = " + executorLibrary
                        + " without spark.executorEnv.PYTORCH_FLAVOR: set it to the libtorch's flavour, "
                        + TorchNatives.CUDA_FLAVOR + " for CUDA 12.8");
            } else {
                ok("device", "executors load libtorch " + flavor + " from " + executorLibrary
                        + " (spark.executorEnv.PYTORCH_LIBRARY_PATH); a run checks it on an executor before any attack");
            }
            return;
        }
        boolean taskGpus = sparkSetting(DevicePreflight.TASK_GPUS) != null;
        String here = local ? "" : "with this machine's natives: ";
        try {
            DeviceChoice.Choice choice = DeviceChoice.choose(c.modelDevice(), natives,
                    taskGpus ? Optional.of("0") : Optional.empty());
            ok("device", here + choice.device() + ": " + choice.reason());
        } catch (GibbonException e) {
            problem("device", here + e.getMessage());
        }
    }

    /** A Spark setting from the config's spark.conf or from spark-submit (system properties), or null. */
    private String sparkSetting(String key) {
        return experiment.sparkConf().getOrDefault(key, System.getProperty(key));
    }

    /** Whether the warehouse location answers; a warehouse not created yet is fine (the first run creates it). */
    private static String warehouse(ExperimentConfig c) throws IOException {
        String uri = Storage.absolute(c.warehouse());
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
        try {
            FileStatus status = path.getFileSystem(Storage.hadoopConf(c.hadoop())).getFileStatus(path);
            return status.isDirectory() ? "reachable" : "unreachable: a file, not a directory";
        } catch (java.io.FileNotFoundException e) {
            return "reachable, not created yet (the first run creates it)";
        }
    }

    /** Lists the namespace through Iceberg's catalog client, built from the properties GibbonSpark gives Spark. */
    private static String catalog(ExperimentConfig c) throws Exception {
        Map<String, String> properties = new HashMap<>();
        properties.put("type", c.catalogType());
        properties.put("warehouse", Storage.absolute(c.warehouse()));
        properties.putAll(c.catalogProperties());
        Catalog catalog = CatalogUtil.buildIcebergCatalog(c.catalog(), properties, Storage.hadoopConf(c.hadoop()));
        try {
            int tables = catalog.listTables(Namespace.of(c.namespace())).size();
            return "reachable, " + tables + " table" + (tables == 1 ? "" : "s");
        } catch (NoSuchNamespaceException e) {
            return "reachable, namespace not created yet (the first run creates it)";
        } finally {
            if (catalog instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    /** Prints a check's outcome: its own text, or "unreachable: reason" when it failed or took too long. */
    private void report(String name, String subject, Future<String> check) {
        String prefix = subject == null ? "" : subject + ": ";
        String text;
        if (deadline == null) {
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHECK_SECONDS);
        }
        try {
            text = check.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            check.cancel(true);
            problem(name, prefix + "unreachable: no answer within " + CHECK_SECONDS + " s");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem(name, prefix + "unreachable: interrupted");
            return;
        } catch (ExecutionException e) {
            problem(name, e.getCause() instanceof GibbonException g ? g.getMessage()
                    : prefix + "unreachable: " + Storage.rootCause(e.getCause()));
            return;
        }
        if (text.startsWith("unreachable")) {
            problem(name, prefix + text);
        } else {
            ok(name, prefix + text);
        }
    }

    private void ok(String name, String text) {
        out.printf("%-14s %s%n", name, text);
        out.flush();
    }

    private void problem(String name, String text) {
        problems.add(name);
        ok(name, "PROBLEM: " + text);
    }
}
