package gibbon.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import gibbon.attack.AttackPlan;
import gibbon.cli.AddOnCommand;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import gibbon.model.Architectures;
import gibbon.model.Classifier;
import gibbon.model.ClassifierCache;
import gibbon.model.ModelSpec;
import gibbon.jobs.GibbonSpark;
import gibbon.jobs.RobustnessJob;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gibbon bench}: the performance figures of docs/performance.md, measured side by side in
 * one process on this machine: the attack loop against raw PyTorch and against the matmul peak,
 * the sweep against a per-epsilon loop, Spark end to end against the loop, executor memory as
 * the dataset grows, the result tables' files over many runs, before and after maintenance, and
 * N/10 against N examples from Parquet ({@link MillionBench}). It prints figures and ratios; it
 * asserts nothing. A benchmark harness, not part of the product: module bench holds it, and
 * {@code ./gibbon} adds it to the command line.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure Gibbon's attack throughput against its baselines and print the table (docs/performance.md).")
public final class BenchCommand implements AddOnCommand {
    private static final String DATA = "bundled/fashion-mnist/t10k-";

    @Option(names = "--batch", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--steps", defaultValue = "20", description = "Gradient steps of the timed loops (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--repeats", defaultValue = "3", description = "Repetitions of each measurement (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--examples", defaultValue = "128", description = "Examples for the sweep comparison (default: ${DEFAULT-VALUE}).")
    int examples;

    @Option(names = "--end-to-end-examples", defaultValue = "1024", description = "Examples of the Spark runs (default: ${DEFAULT-VALUE}).")
    int endToEndExamples;

    @Option(names = "--table-runs", defaultValue = "0", paramLabel = "N",
            description = "Runs whose tables the tables part makes and maintains; 0, the default, leaves the part out"
                    + " (200 runs take about 25 minutes on 2 cores).")
    int tableRuns;

    @Option(names = "--million", defaultValue = "0", paramLabel = "N",
            description = "Examples of the million part (FGSM on N/10 and N augmented Fashion-MNIST examples from Parquet);"
                    + " 0, the default, leaves the part out (1 000 000 takes hours on 2 busy cores).")
    long million;

    @Option(names = "--million-data", paramLabel = "DIR",
            description = "Folder of the million part's Parquet dataset, written once and reused (default: gibbon-million-N"
                    + " under java.io.tmpdir).")
    Path millionData;

    @Option(names = "--million-tables-only", description = "The million part without the attack: synthetic FGSM rows"
            + " of N examples written as a run writes them, and the analyst queries timed on them.")
    boolean millionTablesOnly;

    @Option(names = "--torchscript", defaultValue = "common/src/test/resources/torchscript/fashion_bn_cnn.pt",
            description = "TorchScript model timed in both DJL and raw PyTorch (default: ${DEFAULT-VALUE}).")
    Path torchscript;

    @Option(names = "--resnet-batches", split = ",", defaultValue = "64,128,256,512", paramLabel = "N",
            description = "Batch sizes the ResNet-20 part tries (default: ${DEFAULT-VALUE}).")
    List<Integer> resnetBatches;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (default: ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--autoattack-examples", defaultValue = "1000",
            description = "Examples of the autoattack part (default: ${DEFAULT-VALUE}).")
    int autoattackExamples;

    @Option(names = "--autoattack-steps", defaultValue = "100",
            description = "APGD and FAB steps of the autoattack part, both sides (default: ${DEFAULT-VALUE}).")
    int autoattackSteps;

    @Option(names = "--autoattack-queries", defaultValue = "5000",
            description = "Square queries of the autoattack part, both sides (default: ${DEFAULT-VALUE}).")
    int autoattackQueries;

    @Option(names = "--skip", split = ",", paramLabel = "PART",
            description = "Parts to leave out: kernel, pytorch, sweep, end-to-end, memory, certify, resnet, tables, autoattack, million.")
    List<String> skip = new ArrayList<>();

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        ExperimentConfig defaults = ConfigLoader.load(Path.of("conf", "default.conf"), List.of());
        Classifier bundled = ClassifierCache.get(defaults.model(), Device.cpu(), 1, Map.of());
        out.printf("machine: %s, %d cores; JVM %s; libtorch %s via DJL; batch %d, %d repeats (min / median / max)%n",
                cpuModel(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                ai.djl.engine.Engine.getEngine("PyTorch").getVersion(), batch, repeats);
        long flops = 2 * Architectures.forwardFlops(bundled.metadata().architecture(), bundled.metadata().inputShape(),
                bundled.metadata().numClasses());
        out.printf("bundled CNN: %.2f MFLOP per image x gradient step (forward + input gradient)%n%n", flops / 1e6);
        int cores = Runtime.getRuntime().availableProcessors();
        List<Integer> threadCounts = cores >= 2 ? List.of(1, 2) : List.of(1);
        if (!skip.contains("kernel")) {
            kernel(bundled, flops, threadCounts);
        }
        if (!skip.contains("pytorch")) {
            pytorch(threadCounts);
        }
        KernelBench.threads(1);
        if (!skip.contains("sweep")) {
            sweep(bundled, defaults);
        }
        if (!skip.contains("end-to-end")) {
            endToEnd(bundled);
        }
        if (!skip.contains("memory")) {
            memory();
        }
        if (!skip.contains("certify")) {
            certify();
        }
        if (!skip.contains("resnet")) {
            ResNetBench.measure(resnetBatches, Math.max(2, steps / 4), repeats, python, out);
        }
        if (!skip.contains("tables") && tableRuns > 0) {
            out.printf("7. the result tables after %d runs, before and after gibbon maintain (docs/cluster.md)%n", tableRuns);
            TableHealthBench.measure(tableRuns, out);
        }
        if (!skip.contains("autoattack")) {
            AutoAttackBench.measure(out, torchscript, python, autoattackExamples,
                    new AutoAttackBench.Budget(0.05, autoattackSteps, 9, autoattackQueries), batch);
        }
        if (!skip.contains("million") && million > 0) {
            if (millionTablesOnly) {
                new MillionBench(out).synthetic(million);
            } else {
                new MillionBench(out).measure(million, millionData != null ? millionData
                        : Path.of(System.getProperty("java.io.tmpdir"), "gibbon-million-" + million));
            }
        }
        return 0;
    }

    private void certify() throws IOException {
        ExperimentConfig config = ConfigLoader.load(Path.of("conf", "certify.conf"), List.of());
        Classifier model = ClassifierCache.get(config.model(), Device.cpu(), 1, Map.of());
        int certifyBatch = config.certify().batchSize();
        double sigma = config.certify().sigmas().get(0);
        Example example = IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz",
                "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz", Map.of()).read(0, 1).next();
        out.printf("6. randomized smoothing (conf/certify.conf's model, sigma %s, batch %d): noisy samples classified"
                + " per second, against the plain forward pass of the same model and batch; one thread%n", sigma,
                certifyBatch);
        KernelBench.threads(1);
        long samples = 20L * certifyBatch * Math.max(1, steps / 4);
        CertifyBench.forward(model, example, certifyBatch, samples / 4);
        CertifyBench.smoothed(model, example, certifyBatch, sigma, samples / 4);
        List<Double> forward = new ArrayList<>();
        List<Double> smoothed = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        List<Double> noise = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            noise.add(CertifyBench.noise(example, sigma, samples));
            forward.add(CertifyBench.forward(model, example, certifyBatch, samples));
            smoothed.add(CertifyBench.smoothed(model, example, certifyBatch, sigma, samples));
            ratio.add(smoothed.get(r) / forward.get(r));
        }
        out.printf("   %-34s %s%n", "plain forward pass", KernelBench.triple(KernelBench.spread(forward), "%.0f"));
        out.printf("   %-34s %s%n", "smoothing (noise + forward + count)", KernelBench.triple(KernelBench.spread(smoothed), "%.0f"));
        out.printf("   %-34s %s (goal >= 0.90)%n", "smoothing / forward", KernelBench.triple(KernelBench.spread(ratio), "%.2f"));
        out.printf("   %-34s %s%n", "drawing the noise alone", KernelBench.triple(KernelBench.spread(noise), "%.0f"));
        Path warehouse = Files.createTempDirectory("gibbon-bench-certify");
        int examples = 20;
        int n = 5_000;
        double one = CertifyBench.sparkRate("local[1]", warehouse, examples, n);
        double two = CertifyBench.sparkRate("local[2]", warehouse, examples, n);
        out.printf("   certification stage on Spark (%d examples x %d samples; run time with it less without):"
                + " local[1] %.0f, local[2] %.0f samples/s, local[2] / local[1] %.2f%n%n", examples, n, one, two, two / one);
    }

    private void kernel(Classifier model, long flops, List<Integer> threadCounts) {
        out.println("1. attack loop alone (DJL, bundled CNN) against the fp32 matmul peak of the same libtorch");
        out.printf("   %-8s %-32s %-26s %s%n", "threads", "images x steps / s", "GFLOP/s (matmul 1024)", "share of peak");
        for (int t : threadCounts) {
            KernelBench.threads(t);
            double[] loop = KernelBench.spread(KernelBench.attackLoop(model, batch, steps, repeats));
            double[] peak = KernelBench.spread(KernelBench.matmul(model, 1024, repeats));
            double achieved = loop[1] * flops / 1e9;
            out.printf("   %-8d %-32s %-26s %.0f %% (%.1f of %.1f GFLOP/s)%n", t, KernelBench.triple(loop, "%.0f"), KernelBench.triple(peak, "%.1f"),
                    100 * achieved / peak[1], achieved, peak[1]);
        }
        out.println();
    }

    private void pytorch(List<Integer> threadCounts) throws Exception {
        out.println("2. the same TorchScript model (" + torchscript + "): DJL loop vs raw PyTorch (" + python
                + "), its input as written (NCHW) and in channels-last memory as Gibbon gives it");
        Classifier model = ClassifierCache.get(ModelSpec.torchscript(torchscript.toString(), List.of(1, 28, 28),
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")), Device.cpu(), 1, Map.of());
        out.printf("   %-8s %-26s %-26s %-26s %s%n", "threads", "Gibbon images x steps / s", "PyTorch NCHW",
                "PyTorch channels-last", "Gibbon / PyTorch (NCHW, channels-last)");
        for (int t : threadCounts) {
            KernelBench.threads(t);
            double[] gibbon = KernelBench.spread(KernelBench.attackLoop(model, batch, steps, repeats));
            JsonNode plain = torchRates(t, false);
            JsonNode last = torchRates(t, true);
            out.println(KernelBench.againstPytorch(t, gibbon, plain, last, 26));
        }
        out.println();
    }

    /** The PyTorch loop's JSON report, or its output as text when it did not give one. */
    private JsonNode torchRates(int threads, boolean channelsLast) throws Exception {
        return KernelBench.pytorchLoop(python, torchscript, batch, steps, threads, repeats, channelsLast);
    }

    private void sweep(Classifier model, ExperimentConfig defaults) throws IOException {
        out.printf("3. the default sweep vs a per-epsilon loop (each epsilon its own attack, every step on every example,"
                + " clean pass repeated), %d examples, 1 thread%n", examples);
        List<Example> data = examples(examples);
        out.printf("   %-8s %-22s %-22s %-9s %s%n", "attack", "per-epsilon loop (s)", "Gibbon sweep (s)", "speed-up",
                "robust accuracy per epsilon: loop / sweep");
        double[] loopTotal = new double[repeats];
        double[] sweepTotal = new double[repeats];
        for (AttackPlan plan : defaults.attacks()) {
            List<Double> loop = new ArrayList<>();
            List<Double> swept = new ArrayList<>();
            SweepBench.Timing a = null;
            SweepBench.Timing b = null;
            for (int r = 0; r < repeats; r++) {
                a = SweepBench.perEpsilonLoop(model, plan, data, defaults.seed(), batch);
                b = SweepBench.sweep(model, plan, data, defaults.seed(), batch);
                loop.add(a.seconds());
                swept.add(b.seconds());
                loopTotal[r] += a.seconds();
                sweepTotal[r] += b.seconds();
            }
            double[] l = KernelBench.spread(loop);
            double[] s = KernelBench.spread(swept);
            out.printf("   %-8s %-22s %-22s %-9s %s%n", plan.label(), KernelBench.triple(l, "%.1f"), KernelBench.triple(s, "%.1f"),
                    String.format(Locale.ROOT, "%.2fx", l[1] / s[1]), accuracies(plan, a, b));
        }
        List<Double> lt = new ArrayList<>();
        List<Double> st = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            lt.add(loopTotal[r]);
            st.add(sweepTotal[r]);
        }
        double[] l = KernelBench.spread(lt);
        double[] s = KernelBench.spread(st);
        out.printf("   %-8s %-22s %-22s %.2fx%n%n", "all", KernelBench.triple(l, "%.1f"), KernelBench.triple(s, "%.1f"), l[1] / s[1]);
    }

    /**
     * Robust accuracy per epsilon, loop / sweep, with the examples the sweep has fewer correct where
     * it has (early stopping and carry-over can only break more), then whether they were identical.
     */
    private static String accuracies(AttackPlan plan, SweepBench.Timing loop, SweepBench.Timing sweep) {
        StringBuilder acc = new StringBuilder();
        int lower = 0;
        for (double e : plan.epsilons()) {
            if (e > 0) {
                long fewer = loop.correct().get(e) - sweep.correct().get(e);
                lower += fewer != 0 ? 1 : 0;
                acc.append(String.format(Locale.ROOT, "%s: %.3f/%.3f%s  ", e, loop.robustAccuracy(e),
                        sweep.robustAccuracy(e), fewer == 0 ? "" : String.format(Locale.ROOT, " (%+d)", -fewer)));
            }
        }
        return acc.append(lower == 0 ? "[identical]" : "[sweep differs at " + lower + " epsilon]").toString();
    }

    private void endToEnd(Classifier model) throws IOException {
        out.printf("4. end to end: the whole run (bim, %d steps, epsilon 0.1, %d examples, tables written) on Spark vs the"
                + " loop alone; each repetition times the loop, a local[1] run and a local[2] run back to back, so that"
                + " the ratios compare neighbours%n", steps, endToEndExamples);
        Path warehouse = Files.createTempDirectory("gibbon-bench-warehouse");
        KernelBench.threads(1);
        KernelBench.attackLoop(model, batch, steps, 1);
        Map<String, List<Double>> rates = new TreeMap<>();
        Map<String, List<Double>> ratios = new TreeMap<>();
        List<Double> warmUps = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            double loop = KernelBench.attackLoop(model, batch, steps, 1, false).get(0);
            rates.computeIfAbsent("loop alone", k -> new ArrayList<>()).add(loop);
            double one = timedRun("local[1]", warehouse, warmUps);
            double two = timedRun("local[2]", warehouse, warmUps);
            rates.computeIfAbsent("local[1]", k -> new ArrayList<>()).add(one);
            rates.computeIfAbsent("local[2]", k -> new ArrayList<>()).add(two);
            ratios.computeIfAbsent("local[1] / loop alone", k -> new ArrayList<>()).add(one / loop);
            ratios.computeIfAbsent("local[2] / loop alone", k -> new ArrayList<>()).add(two / loop);
            ratios.computeIfAbsent("local[2] / local[1]", k -> new ArrayList<>()).add(two / one);
        }
        out.printf("   %-24s %s%n", "", "images x steps / s");
        rates.forEach((name, v) -> out.printf("   %-24s %s%n", name, KernelBench.triple(KernelBench.spread(v), "%.0f")));
        out.printf("   %-24s %s%n", "ratio", "per repetition, min / median / max");
        ratios.forEach((name, v) -> out.printf("   %-24s %s%n", name, KernelBench.triple(KernelBench.spread(v), "%.2f")));
        out.printf("   session start + one-batch warm-up before each timed run (s, not counted): %s%n%n",
                KernelBench.triple(KernelBench.spread(warmUps), "%.1f"));
    }

    /**
     * One timed run on a fresh session of the given master, after an untimed one-batch run (session
     * start, class loading, JIT), as the loop alone has its warm-up.
     *
     * @return images x steps per second of the timed run
     */
    private double timedRun(String master, Path warehouse, List<Double> warmUps) {
        double rate = 0;
        for (boolean timed : new boolean[] {false, true}) {
            int examples = timed ? endToEndExamples : batch;
            ExperimentConfig config = ConfigLoader.load(Path.of("conf", "default.conf"), List.of(
                    "spark.master=\"" + master + "\"", "dataset.limit=" + examples, "output.warehouse=" + warehouse,
                    "attacks.fgsm.enabled=false", "attacks.pgd.enabled=false", "attacks.pgd_l2.enabled=false",
                    "attacks.noise.enabled=false", "attacks.bim = { epsilons = [0.1], steps = " + steps
                            + ", early-stop = false }", "sweep.batch-size=" + batch, "output.adversarial-fraction=0"));
            RobustnessJob.Outcome o = new RobustnessJob(config, new PrintStream(OutputStream.nullOutputStream()), null,
                    false).run();
            if (timed) {
                rate = examples * (double) steps / o.seconds();
            } else {
                warmUps.add(o.seconds());
            }
        }
        GibbonSpark.stopIfRunning();
        return rate;
    }

    private void memory() throws Exception {
        out.println("5. memory: peak RSS of gibbon run (fgsm, epsilon 0.1, local[2], a fixed 1 GB heap committed up front"
                + " as an executor's is bounded) as the dataset grows");
        Path dir = Files.createTempDirectory("gibbon-bench-memory");
        Path images = dir.resolve("images-idx3-ubyte");
        Path labels = dir.resolve("labels-idx1-ubyte");
        repeat(DATA + "images-idx3-ubyte.gz", images, 16, 6);
        repeat(DATA + "labels-idx1-ubyte.gz", labels, 8, 6);
        long[] peaks = new long[2];
        int[] sizes = {10_000, 60_000};
        for (int i = 0; i < 2; i++) {
            long start = System.nanoTime();
            peaks[i] = peakRss(List.of("./gibbon", "run", "--set", "dataset.images=" + images, "--set", "dataset.labels=" + labels,
                    "--set", "dataset.limit=" + sizes[i], "--set", "output.warehouse=" + dir.resolve("warehouse"),
                    "--set", "spark.master=\"local[2]\"", "--set", "attacks.pgd.enabled=false", "--set", "attacks.pgd_l2.enabled=false",
                    "--set", "attacks.noise.enabled=false", "--set", "attacks.fgsm.epsilons=[0.1]"));
            out.printf("   %,7d examples: peak RSS %,d MB (%.0f s)%n", sizes[i], peaks[i] / 1024, (System.nanoTime() - start) / 1e9);
        }
        out.printf("   growth from 10k to 60k: %+.1f %% (%+,d MB)%n%n", 100.0 * (peaks[1] - peaks[0]) / peaks[0],
                (peaks[1] - peaks[0]) / 1024);
    }

    /** An IDX file made of {@code times} copies of a gzipped one's records, with the count adjusted. */
    private static void repeat(String source, Path target, int header, int times) throws IOException {
        byte[] all;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of(source)))) {
            all = in.readAllBytes();
        }
        try (OutputStream out = Files.newOutputStream(target)) {
            byte[] head = all.clone();
            int count = java.nio.ByteBuffer.wrap(all, 4, 4).getInt() * times;
            java.nio.ByteBuffer.wrap(head, 4, 4).putInt(count);
            out.write(head, 0, header);
            for (int i = 0; i < times; i++) {
                out.write(all, header, all.length - header);
            }
        }
    }

    /** Runs a command and returns the peak of its VmHWM, polled from /proc while it runs (kB). */
    private static long peakRss(List<String> command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        // An executor's heap is bounded by its -Xmx; committing it up front keeps the JVM's lazy heap
        // growth out of the figure, so what grows with the data is native memory (libtorch, Arrow, glibc).
        builder.environment().put("GIBBON_JAVA_OPTS", "-Xms1g -Xmx1g -XX:+AlwaysPreTouch");
        Process p = builder.start();
        Path status = Path.of("/proc", String.valueOf(p.pid()), "status");
        long peak = 0;
        while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
            try {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmHWM:")) {
                        peak = Math.max(peak, Long.parseLong(line.replaceAll("[^0-9]", "")));
                    }
                }
            } catch (IOException e) {
                // The process ended between the check and the read.
            }
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit " + p.exitValue());
        }
        return peak;
    }

    static List<Example> examples(int n) {
        IdxDataset d = IdxDataset.open(DATA + "images-idx3-ubyte.gz", DATA + "labels-idx1-ubyte.gz", Map.of());
        List<Example> out = new ArrayList<>(n);
        d.read(0, n).forEachRemaining(out::add);
        return out;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }
}
