package gibbon.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import gibbon.attack.Attack;
import gibbon.attack.AttackParams;
import gibbon.attack.AttackRegistry;
import gibbon.attack.ExampleRandom;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.model.Classifier;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.LongStream;

/**
 * The attack loop alone, without Spark: how many images x gradient steps per second Gibbon's PGD
 * loop achieves on a model, and the fp32 matrix-multiply rate of the same libtorch on the same
 * threads, the ceiling the loop is measured against. Times are printed, never asserted.
 */
public final class KernelBench {
    private KernelBench() {}

    /** libtorch intra-op threads for everything that follows in this process. */
    public static void threads(int threads) {
        JniUtils.setNumThreads(threads);
    }

    /**
     * Repeated timings of {@code steps} signed-gradient steps (BIM: Gibbon's PGD loop without the
     * random start and without stopping early) on one random batch.
     *
     * @return images x gradient steps per second, one value per repetition after a warm-up
     */
    public static List<Double> attackLoop(Classifier model, int batch, int steps, int repeats) {
        return attackLoop(model, batch, steps, repeats, true);
    }

    /** As {@link #attackLoop(Classifier, int, int, int)}, without the warm-up where the loop already ran. */
    public static List<Double> attackLoop(Classifier model, int batch, int steps, int repeats, boolean warmUp) {
        int[] s = model.metadata().inputShape();
        Attack bim = AttackRegistry.find("bim").orElseThrow().create(new AttackParams(Map.of("steps", steps,
                "step-size", 0.01, "relative-step-size", 0.0, "random-start", false, "early-stop", false)));
        List<Double> rates = new ArrayList<>();
        try (NDManager manager = model.newBatchManager()) {
            manager.getEngine().setRandomSeed(1);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(batch, s[0], s[1], s[2]));
            NDArray y = manager.randomInteger(0, model.metadata().numClasses(), new Shape(batch), ai.djl.ndarray.types.DataType.INT32);
            NDArray eps = manager.full(new Shape(batch, 1, 1, 1), 0.1f);
            ExampleRandom random = ExampleRandom.of(1, LongStream.range(0, batch).toArray(), "bench", 0.1);
            for (int r = warmUp ? -1 : 0; r < repeats; r++) {
                long start = System.nanoTime();
                bim.craft(model, x, y, eps, random).adversarial().close();
                double seconds = (System.nanoTime() - start) / 1e9;
                if (r >= 0) {
                    rates.add(batch * (double) steps / seconds);
                }
            }
        }
        return rates;
    }

    /** GFLOP/s of an n x n fp32 matrix product (2 n^3 operations), one value per repetition. */
    public static List<Double> matmul(Classifier model, int n, int repeats) {
        List<Double> rates = new ArrayList<>();
        try (NDManager manager = model.newBatchManager()) {
            NDArray a = manager.randomUniform(-1f, 1f, new Shape(n, n));
            NDArray b = manager.randomUniform(-1f, 1f, new Shape(n, n));
            a.matMul(b).close();
            int inner = Math.max(1, (int) (4e9 / (2.0 * n * n * n)));
            for (int r = 0; r < repeats; r++) {
                long start = System.nanoTime();
                for (int i = 0; i < inner; i++) {
                    NDArray c = a.matMul(b);
                    c.close();
                }
                rates.add(inner * 2.0 * n * n * n / ((System.nanoTime() - start) / 1e9) / 1e9);
            }
        }
        return rates;
    }

    /**
     * The same loop in plain PyTorch ({@code bench/pytorch_kernel.py} run by {@code python}) on a TorchScript file.
     *
     * @return its JSON report, or its output as a text node when it gave none (PyTorch missing, a crash)
     */
    public static JsonNode pytorchLoop(String python, Path model, int batch, int steps, int threads, int repeats,
            boolean channelsLast) throws InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, "bench/pytorch_kernel.py", model.toString(), "--batch",
                String.valueOf(batch), "--steps", String.valueOf(steps), "--threads", String.valueOf(threads), "--repeats",
                String.valueOf(repeats)));
        if (channelsLast) {
            command.add("--channels-last");
        }
        String output = exec(command);
        ObjectMapper mapper = new ObjectMapper();
        try {
            JsonNode json = mapper.readTree(output.lines().reduce((a, b) -> b).orElse("{}"));
            if (!json.path("images_x_steps_per_s").isEmpty()) {
                return json;
            }
        } catch (JsonProcessingException e) {
            // Not a report: the output says what went wrong.
        }
        return mapper.getNodeFactory().textNode(output.strip());
    }

    /** The rates of a {@link #pytorchLoop} report. */
    public static List<Double> rates(JsonNode report) {
        List<Double> out = new ArrayList<>();
        report.path("images_x_steps_per_s").forEach(v -> out.add(v.asDouble()));
        return out;
    }

    /** Runs a command to its end; its output and error, or why it did not start. */
    static String exec(List<String> command) throws InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return "cannot start " + command.get(0) + ": " + e.getMessage();
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try {
            p.getInputStream().transferTo(buffer);
        } catch (IOException e) {
            return "cannot read the output of " + command.get(0) + ": " + e.getMessage();
        }
        p.waitFor();
        return buffer.toString(StandardCharsets.UTF_8);
    }

    /** Min / median / max, each in {@code format}. */
    static String triple(double[] v, String format) {
        return String.format(Locale.ROOT, format + " / " + format + " / " + format, v[0], v[1], v[2]);
    }

    /**
     * One line of a Gibbon-against-PyTorch table: Gibbon's rates, PyTorch's with its input as
     * written and in channels-last memory, and the two ratios; or why PyTorch did not run.
     *
     * @param width the width of each rate column
     */
    static String againstPytorch(int threads, double[] gibbon, JsonNode plain, JsonNode last, int width) {
        String column = "%-" + width + "s ";
        if (plain.isTextual() || last.isTextual()) {
            return String.format(Locale.ROOT, "   %-8d " + column + "%s", threads, triple(gibbon, "%.0f"),
                    "PyTorch did not run: " + (plain.isTextual() ? plain : last).asText());
        }
        double[] nchw = spread(rates(plain));
        double[] cl = spread(rates(last));
        return String.format(Locale.ROOT, "   %-8d " + column + column + column + "%.2f, %.2f (torch %s)", threads,
                triple(gibbon, "%.0f"), triple(nchw, "%.0f"), triple(cl, "%.0f"), gibbon[1] / nchw[1], gibbon[1] / cl[1],
                plain.path("torch").asText());
    }

    public static double[] spread(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new double[] {sorted.get(0), median, sorted.get(n - 1)};
    }
}
