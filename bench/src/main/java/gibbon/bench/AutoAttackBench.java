package gibbon.bench;

import ai.djl.Device;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.attack.AttackPlan;
import gibbon.attack.AttackRegistry;
import gibbon.attack.AttackSweep;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.data.Example;
import gibbon.jobs.GibbonSpark;
import gibbon.jobs.RobustnessJob;
import gibbon.metrics.PredictionRecord;
import gibbon.metrics.RobustAccuracy;
import gibbon.model.Classifier;
import gibbon.model.ClassifierCache;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Gibbon's {@code autoattack} (AutoAttack standard, L-infinity) against the same ensemble written in
 * plain PyTorch with torchattacks 3.5.1's semantics ({@code bench/autoattack_baseline.py}): the same
 * TorchScript model, examples, epsilon and budget (steps, target classes, Square queries). Gibbon
 * runs the ensemble as a whole run on Spark (local[1] and local[2], session start and table writes
 * included) and as the attack loop alone on one thread; then each component alone, on one thread,
 * on exactly the examples that reach it in the ensemble (clean-correct and unbroken by the earlier
 * components). Strength is the robust accuracy after each component and at the end.
 */
public final class AutoAttackBench {
    /** The ensemble's components in order, each also registered as an attack of its own. */
    public static final List<String> COMPONENTS = List.of("apgd_ce", "apgd_t", "fab_t", "square");

    /** Whether the baseline runs pinned to one core (util-linux's taskset), as "per core" means. */
    private static final boolean PINNED = Files.isExecutable(Path.of("/usr/bin/taskset"));

    private AutoAttackBench() {}

    /** The ensemble's budget, the same on both sides. */
    public record Budget(double epsilon, int steps, int targetClasses, int queries) {
        Map<String, Object> params(String type) {
            Map<String, Object> p = new LinkedHashMap<>();
            if (!type.equals("square")) {
                p.put("steps", steps);
            }
            if (type.equals("autoattack") || type.equals("apgd_t") || type.equals("fab_t")) {
                p.put("target-classes", targetClasses);
            }
            if (type.equals("autoattack") || type.equals("square")) {
                p.put("queries", queries);
            }
            return p;
        }

        AttackPlan plan(String type) {
            return new AttackPlan(type, type, AttackRegistry.find(type).orElseThrow().params(type, params(type)),
                    List.of(epsilon));
        }
    }

    /**
     * One timed ensemble: its seconds and the CPU seconds of the whole process meanwhile, how many
     * examples it had, how many the clean model classified correctly, and per component the examples
     * it broke; {@code reach} holds per component the ids of the examples it attacked.
     */
    public record Ensemble(double seconds, double cpuSeconds, int examples, long cleanCorrect, Map<String, Long> broken,
            Map<String, List<Long>> reach) {
        /** Robust accuracy after each component, in order. */
        public List<Double> robustAfter() {
            List<Double> out = new ArrayList<>();
            long left = cleanCorrect;
            for (String c : COMPONENTS) {
                left -= broken.getOrDefault(c, 0L);
                out.add((double) left / examples);
            }
            return out;
        }
    }

    /** The whole ensemble as Gibbon's attack loop runs it, without Spark, on the current thread count. */
    public static Ensemble loop(Classifier model, List<Example> examples, Budget budget, long seed, int batch) {
        long start = System.nanoTime();
        double cpuStart = processCpuSeconds();
        List<PredictionRecord> records = new ArrayList<>();
        new AttackSweep(model, List.of(budget.plan("autoattack")), seed, batch).run(examples.iterator(), n -> { })
                .forEachRemaining(records::add);
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = processCpuSeconds() - cpuStart;
        Map<String, Long> broken = new LinkedHashMap<>();
        Map<String, List<Long>> reach = new LinkedHashMap<>();
        long cleanCorrect = 0;
        for (String c : COMPONENTS) {
            reach.put(c, new ArrayList<>());
        }
        for (PredictionRecord r : records) {
            if (!r.cleanCorrect()) {
                continue;
            }
            cleanCorrect++;
            int by = r.brokenBy() == null ? COMPONENTS.size() : COMPONENTS.indexOf(r.brokenBy());
            for (int k = 0; k <= Math.min(by, COMPONENTS.size() - 1); k++) {
                reach.get(COMPONENTS.get(k)).add(r.exampleId());
            }
            if (r.brokenBy() != null) {
                broken.merge(r.brokenBy(), 1L, Long::sum);
            }
        }
        return new Ensemble(seconds, cpuSeconds, examples.size(), cleanCorrect, broken, reach);
    }

    /** CPU seconds of every thread of this JVM so far (libtorch's threads included). */
    static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    /** One component alone on the given examples: seconds and how many of them it broke. */
    public record Component(double seconds, int attacked, long broken) {}

    public static Component component(Classifier model, String type, List<Example> examples, Budget budget, long seed,
            int batch) {
        long start = System.nanoTime();
        List<PredictionRecord> records = new ArrayList<>();
        new AttackSweep(model, List.of(budget.plan(type)), seed, batch).run(examples.iterator(), n -> { })
                .forEachRemaining(records::add);
        double seconds = (System.nanoTime() - start) / 1e9;
        long broken = records.stream().filter(r -> r.cleanCorrect() && !r.correct()).count();
        return new Component(seconds, examples.size(), broken);
    }

    /** The examples of {@code all} whose ids are listed. */
    public static List<Example> subset(List<Example> all, List<Long> ids) {
        Set<Long> wanted = new HashSet<>(ids);
        return all.stream().filter(e -> wanted.contains(e.id())).toList();
    }

    /**
     * A whole {@code gibbon run} of the ensemble on the TorchScript model through Spark: a fresh
     * session, the dataset read, the attack (a model copy per task thread), the tables written.
     *
     * @return seconds of the run, its robust accuracy, and the CPU seconds of this JVM meanwhile
     */
    public static double[] spark(String master, Path torchscript, Path warehouse, int examples, Budget budget, int batch) {
        GibbonSpark.stopIfRunning();
        double cpuStart = processCpuSeconds();
        ExperimentConfig config = ConfigLoader.load(Path.of("conf", "torchscript.conf"), List.of(
                "model.uri=\"" + torchscript + "\"", "spark.master=\"" + master + "\"", "dataset.limit=" + examples,
                "output.warehouse=" + warehouse, "attacks.fgsm.enabled=false", "attacks.pgd.enabled=false",
                "attacks.pgd_l2.enabled=false", "attacks.noise.enabled=false",
                "attacks.autoattack = { epsilons = [" + budget.epsilon() + "], steps = " + budget.steps()
                        + ", target-classes = " + budget.targetClasses() + ", queries = " + budget.queries() + " }",
                "sweep.batch-size=" + batch, "sweep.model-replicas=" + cores(master), "output.adversarial-fraction=0"));
        RobustnessJob.Outcome o = new RobustnessJob(config, new PrintStream(OutputStream.nullOutputStream()), null,
                false).run();
        GibbonSpark.stopIfRunning();
        double cpu = processCpuSeconds() - cpuStart;
        double robust = o.summary().stream().filter(s -> s.epsilon() > 0).mapToDouble(RobustAccuracy::robustAccuracy)
                .findFirst().orElse(Double.NaN);
        return new double[] {o.seconds(), robust, cpu};
    }

    /** The task threads of a local master such as local[2]: each gets a model copy of its own. */
    private static int cores(String master) {
        return Integer.parseInt(master.substring(master.indexOf('[') + 1, master.indexOf(']')));
    }

    /**
     * Measures and prints the side-by-side table: the baseline on one thread, Gibbon's loop alone on
     * one thread, each component alone, and the whole run on local[1] and local[2].
     */
    public static void measure(PrintStream out, Path torchscript, String python, int examples, Budget budget, int batch)
            throws Exception {
        ExperimentConfig config = ConfigLoader.load(Path.of("conf", "torchscript.conf"),
                List.of("model.uri=\"" + torchscript + "\""));
        List<Example> data = BenchCommand.examples(examples);
        out.printf("9. AutoAttack standard (apgd_ce -> apgd_t -> fab_t -> square, each on the still-robust) on %s,"
                + " %d examples, L-inf epsilon %s, steps %d, %d target classes, %d Square queries; Gibbon against the"
                + " same ensemble in plain PyTorch with torchattacks 3.5.1's semantics (bench/autoattack_baseline.py);"
                + " time per core = seconds x cores used%n", torchscript, examples, budget.epsilon(), budget.steps(),
                budget.targetClasses(), budget.queries());
        JsonNode peer = baseline(python, torchscript, examples, budget);
        Ensemble loop;
        Map<String, Component> alone = new LinkedHashMap<>();
        // Leased and released before the Spark rows: a copy held for the JVM's life counts as in use, so on
        // local[2] the job's two tasks would take turns on the one other copy (1.2 cores used instead of 1.9).
        try (ClassifierCache.Lease lease = ClassifierCache.lease(config.model(), Device.cpu(), 1, Map.of(), 0)) {
            Classifier model = lease.classifier();
            KernelBench.threads(1);
            component(model, "apgd_ce", data.subList(0, Math.min(16, data.size())), budget, config.seed(), batch);
            loop = loop(model, data, budget, config.seed(), batch);
            for (String c : COMPONENTS) {
                alone.put(c, component(model, c, subset(data, loop.reach().get(c)), budget, config.seed(), batch));
            }
        }
        Path warehouse = Files.createTempDirectory("gibbon-bench-autoattack");
        double[] one = spark("local[1]", torchscript, warehouse, examples, budget, batch);
        double[] two = spark("local[2]", torchscript, warehouse, examples, budget, batch);

        out.printf("   %-40s %10s %8s %12s %12s %s%n", "", "s x cores", "CPU s", "examples/s", "robust acc.",
                "peer / Gibbon: s x cores, CPU s");
        double peerSeconds = peer.isTextual() ? Double.NaN : peer.path("seconds").asDouble();
        double peerCpu = peer.isTextual() ? Double.NaN : peer.path("cpu_seconds").asDouble(Double.NaN);
        if (peer.isTextual()) {
            out.println("   PyTorch baseline did not run: " + peer.asText());
        } else {
            row(out, "PyTorch baseline, 1 thread (peer)" + (PINNED ? ", core 0" : ""), peerSeconds, peerCpu, examples,
                    peer.path("robust_accuracy").asDouble(), peerSeconds, peerCpu);
        }
        row(out, "Gibbon run, local[1] (start + tables)", one[0], one[2], examples, one[1], peerSeconds, peerCpu);
        row(out, "Gibbon run, local[2] (start + tables)", 2 * two[0], two[2], examples, two[1], peerSeconds, peerCpu);
        row(out, "Gibbon attack loop alone, 1 thread", loop.seconds(), loop.cpuSeconds(), examples,
                loop.robustAfter().get(COMPONENTS.size() - 1), peerSeconds, peerCpu);
        out.printf("   per component, 1 thread, each on the examples that reach it in its own ensemble:%n");
        out.printf("   %-10s %-28s %-28s %s%n", "component", "peer: attacked, s, robust after",
                "Gibbon: attacked, s, robust after", "peer s / Gibbon s");
        Map<String, JsonNode> peerParts = new LinkedHashMap<>();
        peer.path("components").forEach(c -> peerParts.put(c.path("name").asText(), c));
        for (int k = 0; k < COMPONENTS.size(); k++) {
            String c = COMPONENTS.get(k);
            Component g = alone.get(c);
            JsonNode p = peerParts.get(c);
            String peerCell = p == null ? "-" : String.format(Locale.ROOT, "%d, %.1f, %.3f",
                    p.path("attacked").asInt(), p.path("seconds").asDouble(), p.path("robust_accuracy").asDouble());
            out.printf(Locale.ROOT, "   %-10s %-28s %-28s %s%n", c, peerCell,
                    String.format(Locale.ROOT, "%d, %.1f, %.3f", g.attacked(), g.seconds(),
                            loop.robustAfter().get(k)),
                    p == null ? "-" : String.format(Locale.ROOT, "%.2f", p.path("seconds").asDouble() / g.seconds()));
        }
        out.printf(Locale.ROOT, "   clean accuracy: peer %.3f, Gibbon %.3f; goal: peer s / Gibbon s x cores >= 2"
                + " at robust accuracy <= the peer's%n%n", peer.path("clean_accuracy").asDouble(Double.NaN),
                (double) loop.cleanCorrect() / examples);
    }

    private static void row(PrintStream out, String name, double coreSeconds, double cpuSeconds, int examples,
            double robust, double peer, double peerCpu) {
        out.printf(Locale.ROOT, "   %-40s %10.1f %8.1f %12.2f %12.3f %s%n", name, coreSeconds, cpuSeconds,
                examples / coreSeconds, robust, Double.isNaN(peer) ? "-"
                        : String.format(Locale.ROOT, "%.2f, %.2f", peer / coreSeconds, peerCpu / cpuSeconds));
    }

    /**
     * The baseline's JSON report, or its output as text when it did not give one. It runs pinned to
     * core 0 where taskset exists: with one torch thread, Python's runtime and the BLAS library
     * still kept a second core busy part of the time here.
     */
    private static JsonNode baseline(String python, Path torchscript, int examples, Budget budget) throws Exception {
        List<String> command = new ArrayList<>(PINNED ? List.of("/usr/bin/taskset", "-c", "0") : List.of());
        command.addAll(List.of(python, "bench/autoattack_baseline.py", torchscript.toString(), "--examples",
                String.valueOf(examples), "--epsilon", String.valueOf(budget.epsilon()), "--steps",
                String.valueOf(budget.steps()), "--target-classes", String.valueOf(budget.targetClasses()), "--queries",
                String.valueOf(budget.queries()), "--threads", "1"));
        String output = KernelBench.exec(command);
        ObjectMapper mapper = new ObjectMapper();
        try {
            JsonNode json = mapper.readTree(output.lines().reduce((a, b) -> b).orElse("{}"));
            if (json.has("seconds")) {
                return json;
            }
        } catch (JsonProcessingException e) {
            // Not a report: the output says what went wrong.
        }
        return mapper.getNodeFactory().textNode(output.strip());
    }
}
