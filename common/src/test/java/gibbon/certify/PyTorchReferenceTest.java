package gibbon.certify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import gibbon.model.ClassifierCache;
import gibbon.model.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Gibbon's CERTIFY and PREDICT against the paper's algorithm written in plain PyTorch
 * (make_reference.py, Debian's torch 1.13 and SciPy) on the TorchScript fixture CNN and the first
 * bundled test images, at σ = 0.25 and 0.5. The noise differs (torch's generator against Gibbon's
 * keyed streams), so each Gibbon certificate is compared with the Monte-Carlo spread of ten PyTorch
 * certifications of the same example: the same top class, nA (from which p̲A and the radius follow
 * exactly) within four binomial standard deviations of PyTorch's mean, and the same answer (class
 * or abstain) and PREDICT wherever PyTorch's ten agree and the spread of nA does not straddle
 * p̲A = ½ (for abstentions: whatever class the selection picks).
 */
class PyTorchReferenceTest {
    private static final String DIR = "common/src/test/resources/";
    private static final ModelSpec MODEL = ModelSpec.torchscript(DIR + "torchscript/fashion_bn_cnn.pt", List.of(1, 28, 28),
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"));
    private static final long SEED = 20150320;

    /** What one σ's comparison found. */
    private static final class Tally {
        int examples;
        int decisive;
        int certified;
        int abstained;
        double worstZ;
        double widestRadiusSpread;
        final List<String> leftOut = new ArrayList<>();
    }

    @Test
    void certificatesAgreeWithPyTorchWithinTheMonteCarloSpread() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(Path.of(DIR, "certify", "reference.json").toFile());
        SmoothedClassifier smoothed = new SmoothedClassifier(ClassifierCache.get(MODEL, Device.cpu(), 1, Map.of()), 100);
        int abstainedInAll = 0;
        for (JsonNode run : ref.get("runs")) {
            Tally t = compare(smoothed, ref, run);
            System.out.printf("PyTorch agreement at sigma %.2f: %d of %d examples decisive, all answered alike (%d certified,"
                    + " same class; %d abstained); largest |z| of nA %.2f; widest radius spread (sd over %d PyTorch runs)"
                    + " %.4f; left out: %s%n", run.get("sigma").asDouble(), t.decisive, t.examples, t.certified, t.abstained,
                    t.worstZ, ref.get("repeats").asInt(), t.widestRadiusSpread, t.leftOut);
            assertTrue(t.decisive >= t.examples * 2 / 3, "most examples are decisive: " + t.leftOut);
            abstainedInAll += t.abstained;
        }
        assertTrue(abstainedInAll >= 1, "the comparison covers an abstention");
    }

    private static Tally compare(SmoothedClassifier smoothed, JsonNode ref, JsonNode run) {
        double sigma = run.get("sigma").asDouble();
        int n0 = ref.get("n0").asInt();
        int n = ref.get("n").asInt();
        double alpha = ref.get("alpha").asDouble();
        Tally t = new Tally();
        List<Example> examples = new ArrayList<>();
        IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz", "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz",
                Map.of()).read(0, run.get("examples").size()).forEachRemaining(examples::add);
        for (JsonNode e : run.get("examples")) {
            Example example = examples.get(t.examples++);
            assertEquals(e.get("id").asLong(), example.id());
            GaussianNoise noise = GaussianNoise.of(SEED, example.id(), sigma);
            long[] estimation = smoothed.counts(example, noise, n0, n0, n0 + n);
            Certificate c = Certificate.certify(smoothed.counts(example, noise, 0, 0, n0), estimation, sigma, alpha);
            SmoothedPrediction p = SmoothedPrediction.predict(estimation, alpha);
            String where = "sigma " + sigma + ", example " + example.id();

            JsonNode repeats = e.get("repeats");
            Set<Integer> tops = new TreeSet<>();
            Set<Integer> answers = new TreeSet<>();
            Set<Integer> predicts = new TreeSet<>();
            double meanNA = 0;
            long maxNA = 0;
            List<Double> radii = new ArrayList<>();
            for (JsonNode r : repeats) {
                tops.add(r.get("top_class").asInt());
                answers.add(r.get("predicted").asInt());
                predicts.add(r.get("predict").asInt());
                meanNA += r.get("n_a").asDouble() / repeats.size();
                maxNA = Math.max(maxNA, r.get("n_a").asLong());
                if (!r.get("radius").isNull()) {
                    radii.add(r.get("radius").asDouble());
                }
            }
            // No class near a majority (two or more share the samples): whichever one the selection picks, CERTIFY
            // abstains, when even PyTorch's largest nA, three standard deviations up, leaves p̲A below 1/2.
            double maxSd = Math.sqrt(maxNA * (1 - (double) maxNA / n));
            if (answers.equals(Set.of(Certificate.ABSTAIN))
                    && ClopperPearson.lowerBound(Math.min(n, Math.round(maxNA + 3 * maxSd)), n, alpha) < 0.5) {
                assertTrue(c.abstained(), where + ": PyTorch abstains at nA <= " + maxNA + "; Gibbon " + c);
                t.decisive++;
                t.abstained++;
                continue;
            }
            if (tops.size() > 1) {
                t.leftOut.add(example.id() + " (PyTorch's top class varies: " + tops + ")");
                continue;
            }
            assertEquals(tops.iterator().next().intValue(), c.topClass(), "top class, " + where);
            // nA counts the same class in both: a binomial draw of n at PyTorch's mean share.
            double share = meanNA / n;
            double sd = Math.sqrt(n * share * (1 - share));
            t.worstZ = Math.max(t.worstZ, Math.abs(c.nA() - meanNA) / Math.max(sd, 0.5));
            assertTrue(Math.abs(c.nA() - meanNA) <= 4 * sd + 2, where + ": Gibbon nA " + c.nA() + ", PyTorch mean " + meanNA
                    + " sd " + sd);
            // Where the spread of nA straddles the threshold p̲A = 1/2, either answer is a fair draw.
            boolean decisive = answers.size() == 1 && (ClopperPearson.lowerBound(Math.max(0, Math.round(meanNA - 3 * sd)), n,
                    alpha) >= 0.5) == (ClopperPearson.lowerBound(Math.min(n, Math.round(meanNA + 3 * sd)), n, alpha) >= 0.5);
            if (!decisive) {
                t.leftOut.add(example.id() + " (PyTorch " + answers + ", nA " + meanNA + " +- " + Math.round(sd) + "; Gibbon "
                        + c.predicted() + ", nA " + c.nA() + ")");
                continue;
            }
            t.decisive++;
            assertEquals(answers.iterator().next().intValue(), c.predicted(), where + ": " + c);
            if (predicts.size() == 1) {
                assertEquals(predicts.iterator().next().intValue(), p.predicted(), "PREDICT, " + where);
            }
            if (c.abstained()) {
                t.abstained++;
                continue;
            }
            t.certified++;
            double mean = radii.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double radiusSd = Math.sqrt(radii.stream().mapToDouble(r -> (r - mean) * (r - mean)).sum() / (radii.size() - 1));
            t.widestRadiusSpread = Math.max(t.widestRadiusSpread, radiusSd);
            System.out.printf("sigma %.2f example %2d: class %d, Gibbon radius %.4f (nA %d), PyTorch radius %.4f +- %.4f"
                    + " [%.4f, %.4f] (nA %.1f)%n", sigma, example.id(), c.predicted(), c.radius(), c.nA(), mean, radiusSd,
                    radii.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                    radii.stream().mapToDouble(Double::doubleValue).max().orElseThrow(), meanNA);
        }
        return t;
    }
}
