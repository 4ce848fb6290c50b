package gibbon.jobs;

import gibbon.GibbonException;
import gibbon.config.ExperimentConfig;
import gibbon.model.DeviceChoice;
import gibbon.model.TorchNatives;
import gibbon.model.TorchRuntime;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The device check of a run, before any table is touched or any attack starts: when a GPU is in
 * play (model.device names one, or Spark assigns GPUs), one Spark task decides its device exactly
 * as the attack tasks do ({@link SweepPartition#device}). It runs on an executor rather than on
 * the driver because executors may load other natives than the driver (PYTORCH_LIBRARY_PATH on
 * the nodes); a libtorch without CUDA fails the run here with the one-line reason.
 */
public final class DevicePreflight {
    /** The Spark setting that has Spark assign each task GPUs. */
    public static final String TASK_GPUS = "spark.task.resource.gpu.amount";
    /** The Spark settings that give tasks or executors GPUs. */
    private static final List<String> GPU_SETTINGS = List.of(TASK_GPUS, "spark.executor.resource.gpu.amount");

    private DevicePreflight() {}

    /**
     * Refuses GPU scheduling in local mode: its single executor offers tasks no resources, so a
     * task that asks for a GPU is never scheduled and the run would wait forever.
     *
     * @param local whether the master is local ({@code local}, {@code local[N]})
     * @param setting a Spark setting's value by key, null when unset
     * @throws GibbonException of kind CONFIG naming the setting
     */
    public static void requireSchedulable(boolean local, UnaryOperator<String> setting) {
        if (local && setting.apply(TASK_GPUS) != null) {
            throw GibbonException.config(TASK_GPUS + " = " + setting.apply(TASK_GPUS) + ": Spark's local mode assigns tasks"
                    + " no GPUs, so they would wait for one forever; in local mode leave Spark's GPU settings out and set"
                    + " model.device = gpu (or gpu:N)");
        }
    }

    /**
     * Decides the device on an executor when a GPU is in play, else does nothing.
     *
     * @return what the task chose and why, e.g. "gpu(0) on node7: model.device = auto: Spark
     *     assigned GPU 0 to the task (libtorch 2.7.1 cu128 at /opt/libtorch/lib)"
     * @throws GibbonException of kind CONFIG when the GPU asked for is not usable there, or cannot be scheduled
     */
    static Optional<String> check(SparkSession spark, ExperimentConfig config) {
        UnaryOperator<String> setting = k -> spark.sparkContext().getConf().get(k, null);
        if (!config.modelDevice().startsWith("gpu") && GPU_SETTINGS.stream().allMatch(k -> setting.apply(k) == null)) {
            return Optional.empty();
        }
        requireSchedulable(spark.sparkContext().isLocal(), setting);
        spark.sparkContext().setJobDescription("gibbon: device preflight");
        try {
            return Optional.of(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(0), 1)
                    .map(i -> decide(config)).first());
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
    }

    private static String decide(ExperimentConfig config) throws UnknownHostException {
        DeviceChoice.Choice choice = SweepPartition.device(config);
        return choice.device() + " on " + InetAddress.getLocalHost().getHostName() + ": " + choice.reason() + " ("
                + TorchNatives.of(TorchRuntime.start(config.threads())).describe() + ")";
    }
}
