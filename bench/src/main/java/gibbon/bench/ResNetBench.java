package gibbon.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.config.ConfigLoader;
import gibbon.io.Storage;
import gibbon.model.Classifier;
import gibbon.model.ClassifierCache;
import gibbon.model.ModelSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The attack loop on a real residual network, conf/resnet20.conf's ResNet-20: images x gradient steps
 * per second for several batch sizes, the best batch's achieved GFLOP/s as a share of the fp32 matmul
 * peak, and Gibbon against raw PyTorch on the same TorchScript file. Its FLOPs per image come from the
 * model card, counted by hooks on the convolutions and the linear layer when it was trained.
 */
final class ResNetBench {
    static final Path CONF = Path.of("conf", "resnet20.conf");

    private ResNetBench() {}

    static void measure(List<Integer> batches, int steps, int repeats, String python, PrintStream out)
            throws IOException, InterruptedException {
        ModelSpec spec = ConfigLoader.load(CONF, List.of()).model();
        Path file = Path.of("").toAbsolutePath().relativize(Path.of(URI.create(Storage.absolute(spec.uri()))));
        JsonNode card = new ObjectMapper().readTree(file.resolveSibling("model-card.json").toFile());
        long flops = 2 * card.get("forward_flops_per_image").asLong();
        Classifier model = ClassifierCache.get(spec, Device.cpu(), 1, Map.of());
        out.printf("8. ResNet-20 (%s, %,d parameters, test accuracy %.4f): %.1f MFLOP per image x gradient step"
                + " (forward + input gradient), %d steps, input %s%n", file, card.get("parameters").asLong(),
                card.get("test_accuracy").asDouble(), flops / 1e6, steps, model.channelsLast() ? "channels-last" : "NCHW");
        List<Integer> threadCounts = Runtime.getRuntime().availableProcessors() >= 2 ? List.of(1, 2) : List.of(1);

        out.printf("   %-8s %s%n", "threads", "images x steps / s by batch size (median of " + repeats
                + " timings, the sizes timed in turns after a warm-up each)");
        int best = batches.get(0);
        for (int t : threadCounts) {
            KernelBench.threads(t);
            Map<Integer, List<Double>> rates = new TreeMap<>();
            for (int b : batches) {
                KernelBench.attackLoop(model, b, steps, 1);
            }
            for (int r = 0; r < repeats; r++) {
                for (int b : batches) {
                    rates.computeIfAbsent(b, k -> new ArrayList<>()).add(KernelBench.attackLoop(model, b, steps, 1, false).get(0));
                }
            }
            StringBuilder line = new StringBuilder();
            double bestRate = 0;
            for (int b : batches) {
                double median = KernelBench.spread(rates.get(b))[1];
                line.append(String.format(Locale.ROOT, "%d: %.0f   ", b, median));
                if (t == 1 && median > bestRate) {
                    bestRate = median;
                    best = b;
                }
            }
            out.printf("   %-8d %s%n", t, line.toString().strip());
        }

        out.printf("   batch %d (the best on 1 thread): attack loop against the fp32 1024 matmul peak%n", best);
        out.printf("   %-8s %-28s %-24s %s%n", "threads", "images x steps / s", "matmul GFLOP/s", "share of peak");
        for (int t : threadCounts) {
            KernelBench.threads(t);
            double[] loop = KernelBench.spread(KernelBench.attackLoop(model, best, steps, repeats));
            double[] peak = KernelBench.spread(KernelBench.matmul(model, 1024, repeats));
            double achieved = loop[1] * flops / 1e9;
            out.printf("   %-8d %-28s %-24s %.0f %% (%.1f of %.1f GFLOP/s)%n", t, KernelBench.triple(loop, "%.0f"),
                    KernelBench.triple(peak, "%.1f"), 100 * achieved / peak[1], achieved, peak[1]);
        }

        folded(model, spec, file, best, steps, repeats, python, out);

        out.printf("   Gibbon vs raw PyTorch (%s) on the same file, batch %d, each Gibbon figure timed just before"
                + " PyTorch's%n", python, best);
        out.printf("   %-8s %-24s %-24s %-24s %s%n", "threads", "Gibbon", "PyTorch NCHW", "PyTorch channels-last",
                "Gibbon / PyTorch (NCHW, channels-last)");
        for (int t : threadCounts) {
            KernelBench.threads(t);
            double[] gibbon = KernelBench.spread(KernelBench.attackLoop(model, best, steps, repeats, false));
            JsonNode plain = KernelBench.pytorchLoop(python, file, best, steps, t, repeats, false);
            JsonNode last = KernelBench.pytorchLoop(python, file, best, steps, t, repeats, true);
            out.println(KernelBench.againstPytorch(t, gibbon, plain, last, 24));
        }
        KernelBench.threads(1);
        out.println();
    }

    /**
     * The attack loop on the file as written and on a frozen copy (torch.jit.freeze folds each eval-mode
     * BatchNorm into its convolution), one thread, the two timed in turns so that load beside them
     * falls on both alike.
     */
    private static void folded(Classifier model, ModelSpec spec, Path file, int batch, int steps, int repeats,
            String python, PrintStream out) throws IOException, InterruptedException {
        Path frozen = Files.createTempDirectory("gibbon-bench-resnet").resolve("frozen.pt");
        String made = KernelBench.exec(List.of(python, "bench/freeze_torchscript.py", file.toString(), frozen.toString()));
        if (!Files.exists(frozen)) {
            out.printf("   BatchNorm folded: not measured, freezing failed: %s%n", made.strip());
            return;
        }
        Classifier folded = ClassifierCache.get(ModelSpec.torchscript(frozen.toString(), spec.inputShape(),
                spec.classNames()), Device.cpu(), 1, Map.of());
        KernelBench.threads(1);
        KernelBench.attackLoop(folded, batch, steps, 1);
        List<Double> plain = new ArrayList<>();
        List<Double> fold = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            plain.add(KernelBench.attackLoop(model, batch, steps, 1, false).get(0));
            fold.add(KernelBench.attackLoop(folded, batch, steps, 1, false).get(0));
            ratio.add(fold.get(r) / plain.get(r));
        }
        out.printf("   BatchNorm folded into the convolutions (torch.jit.freeze), batch %d, 1 thread, timed in turns:"
                + " as written %s, frozen %s, frozen / as written %s%n", batch, KernelBench.triple(KernelBench.spread(plain), "%.0f"),
                KernelBench.triple(KernelBench.spread(fold), "%.0f"), KernelBench.triple(KernelBench.spread(ratio), "%.2f"));
    }
}
