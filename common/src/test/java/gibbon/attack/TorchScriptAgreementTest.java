package gibbon.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.data.Example;
import gibbon.metrics.PredictionRecord;
import gibbon.model.Classifier;
import gibbon.model.ClassifierCache;
import gibbon.model.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The acceptance test of TorchScript support: Gibbon's attacks on a TorchScript CNN with BatchNorm
 * and dropout agree with the same attacks written in plain PyTorch (make_fixture.py, Debian's
 * torch 1.13) on a fixed slice of the Fashion-MNIST test set.
 */
class TorchScriptAgreementTest {
    static final String DIR = "common/src/test/resources/torchscript/";
    static final ModelSpec SPEC = ModelSpec.torchscript(DIR + "fashion_bn_cnn.pt", List.of(1, 28, 28),
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                    "Ankle boot"));

    private static JsonNode reference;
    private static Classifier model;
    private static List<Example> examples;

    @BeforeAll
    static void load() throws IOException {
        reference = new ObjectMapper().readTree(Path.of(DIR, "reference.json").toFile());
        model = ClassifierCache.get(SPEC, Device.cpu(), 1, Map.of());
        examples = BundledModel.examples(reference.get("examples").asInt());
    }

    private static AttackPlan plan(String type, List<Double> epsilons, Map<String, Object> overrides) {
        Map<String, Object> params = new HashMap<>();
        AttackRegistry.find(type).orElseThrow().parameters().forEach(p -> params.put(p.name(), p.defaultValue()));
        params.putAll(overrides);
        return new AttackPlan(type, type, new AttackParams(params), epsilons);
    }

    private static Map<String, Object> schedule(boolean randomStart) {
        return Map.of("steps", reference.get("steps").asInt(), "step-size", 0.0, "relative-step-size",
                reference.get("relative_step_size").asDouble(), "random-start", randomStart,
                // The PyTorch reference runs every step at every epsilon; so does Gibbon here, to compare
                // step for step (no early stop, no carry-over of examples broken at a smaller epsilon).
                "early-stop", false, "carry-over", false);
    }

    private static List<Double> epsilons(String attack) {
        List<Double> out = new ArrayList<>();
        reference.get("attacks").get(attack).fieldNames().forEachRemaining(e -> out.add(Double.parseDouble(e)));
        return out;
    }

    /** Per epsilon: {agreement, gibbon accuracy, pytorch accuracy}. */
    private static Map<Double, double[]> compare(AttackPlan plan) {
        List<PredictionRecord> records = new ArrayList<>();
        new AttackSweep(model, List.of(plan), 11, 100).run(examples.iterator(), n -> { }).forEachRemaining(records::add);
        Map<Double, double[]> out = new java.util.TreeMap<>();
        for (double eps : plan.epsilons()) {
            JsonNode ref = reference.get("attacks").get(plan.type()).get(String.valueOf(eps));
            int same = 0;
            int correct = 0;
            int n = 0;
            for (PredictionRecord r : records) {
                if (r.epsilon() == eps) {
                    same += r.predicted() == ref.get("predictions").get((int) r.exampleId()).asInt() ? 1 : 0;
                    correct += r.correct() ? 1 : 0;
                    n++;
                }
            }
            out.put(eps, new double[] {(double) same / n, (double) correct / n, ref.get("robust_accuracy").asDouble()});
            System.out.printf("%-7s eps %-5s agreement %.4f  robust accuracy gibbon %.4f pytorch %.4f%n", plan.type(), eps,
                    (double) same / n, (double) correct / n, ref.get("robust_accuracy").asDouble());
        }
        return out;
    }

    @Test
    void cleanPredictionsMatch() {
        List<PredictionRecord> records = new ArrayList<>();
        new AttackSweep(model, List.of(plan("fgsm", List.of(0.0), Map.of())), 1, 100).run(examples.iterator(), n -> { })
                .forEachRemaining(records::add);
        JsonNode clean = reference.get("clean_predictions");
        long same = records.stream().filter(r -> r.predicted() == clean.get((int) r.exampleId()).asInt()).count();
        System.out.printf("clean   agreement %.4f%n", same / (double) records.size());
        assertEquals(records.size(), same);
    }

    @Test
    void fgsmAndBimAgreePerExample() {
        for (AttackPlan plan : List.of(plan("fgsm", epsilons("fgsm"), Map.of()), plan("bim", epsilons("bim"), schedule(false)))) {
            compare(plan).forEach((eps, f) -> {
                assertTrue(f[0] >= 0.995, plan.type() + " at " + eps + ": only " + f[0] + " of predictions agree");
                assertEquals(f[2], f[1], 0.005, plan.type() + " robust accuracy at " + eps);
            });
        }
    }

    @Test
    void pgdL2WithoutRandomStartAgreesPerExample() {
        compare(plan("pgd_l2", epsilons("pgd_l2"), schedule(false))).forEach((eps, f) -> {
            assertTrue(f[0] >= 0.99, "pgd_l2 at " + eps + ": only " + f[0] + " of predictions agree");
            assertEquals(f[2], f[1], 0.01, "pgd_l2 robust accuracy at " + eps);
        });
    }

    @Test
    void randomStartPgdAgreesInAccuracy() {
        compare(plan("pgd", epsilons("pgd"), schedule(true))).forEach((eps, f) ->
                assertEquals(f[2], f[1], 0.02, "pgd robust accuracy at " + eps));
    }
}
