package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.attack.AdversarialSample;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * What analysts get from a run, through the real command line on a real local[2] session: the
 * stored adversarial inputs, the report folder (notebook validated by Debian's nbformat, HTML
 * rendered by headless Chromium), the analyst views and the interactive SQL prompt.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReportTest {
    private static final int EXAMPLES = 200;
    private static final int PAIRS = 25;
    private static final double FRACTION = 0.05;
    private static final long SEED = 20150320L;

    @TempDir
    static Path dir;

    private static final List<String> runIds = new ArrayList<>();

    private static String[] settings(String... extra) {
        List<String> args = new ArrayList<>(List.of("--set", "output.warehouse=" + dir.resolve("warehouse"),
                "--set", "output.catalog=reporttest", "--set", "spark.master=\"local[2]\""));
        args.addAll(Arrays.asList(extra));
        return args.toArray(String[]::new);
    }

    private static String run(String... extra) {
        String[] args = Stream.concat(Stream.of("run", "conf/default.conf", "--set", "dataset.limit=" + EXAMPLES,
                "--set", "attacks.pgd_l2.steps=3", "--set", "output.adversarial-fraction=" + FRACTION,
                "--set", "run.seed=" + SEED),
                Arrays.stream(settings(extra))).toArray(String[]::new);
        CommandResult r = CommandResult.run(args);
        assertEquals(0, r.exitCode(), r.err());
        Matcher m = Pattern.compile("(?m)^run: (\\S+)$").matcher(r.out());
        assertTrue(m.find(), r.out());
        runIds.add(m.group(1));
        return m.group(1);
    }

    private static SparkSession spark() {
        return SparkSession.active();
    }

    @Test
    @Order(1)
    void adversarialInputsAreStoredUnroundedInsideTheirBudget() {
        String id = run("--set", "attacks.pgd.steps=3");
        List<Row> rows = spark().sql("SELECT example_id, label, attack, norm, epsilon, shape, tensor FROM"
                + " reporttest.robustness.adversarial_examples WHERE run_id = '" + id + "'").collectAsList();
        IdxDataset data = IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz",
                "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz", Map.of());
        Map<Long, Example> clean = new HashMap<>();
        data.read(0, EXAMPLES).forEachRemaining(e -> clean.put(e.id(), e));
        // The sample hashes (seed, example id): exactly the examples the sampler picks, in a number
        // the fraction explains (binomial, mean 10, sd 3.1: within 4 sd, at least one to check).
        AdversarialSample sample = new AdversarialSample(SEED, FRACTION);
        Set<Long> expected = clean.keySet().stream().filter(sample::keeps).collect(Collectors.toCollection(TreeSet::new));
        double mean = EXAMPLES * FRACTION;
        double sd = Math.sqrt(EXAMPLES * FRACTION * (1 - FRACTION));
        assertTrue(expected.size() >= 1 && expected.size() <= mean + 4 * sd,
                "a " + FRACTION + " sample of " + EXAMPLES + " examples picks " + expected.size());
        assertEquals(expected, rows.stream().map(r -> r.getLong(0)).collect(Collectors.toCollection(TreeSet::new)),
                "the sampled examples");
        assertEquals(expected.size() * PAIRS, rows.size(), "every (attack, epsilon) of every sampled example");

        boolean unrounded = false;
        for (Row r : rows) {
            Example original = clean.get(r.getLong(0));
            assertEquals(original.label(), r.getInt(1));
            assertEquals(List.of(1, 28, 28), r.getList(5));
            List<Float> tensor = r.getList(6);
            assertEquals(784, tensor.size());
            double linf = 0;
            double l2 = 0;
            for (int i = 0; i < 784; i++) {
                float v = tensor.get(i);
                assertTrue(v >= 0 && v <= 1, "value " + v + " outside [0, 1]");
                double d = v - (original.pixels()[i] & 0xff) / 255.0;
                linf = Math.max(linf, Math.abs(d));
                l2 += d * d;
                unrounded |= Math.abs(v * 255 - Math.round(v * 255)) > 1e-3;
            }
            double budget = r.getDouble(4);
            double size = r.getString(3).equals("linf") ? linf : Math.sqrt(l2);
            assertTrue(size <= budget + 1e-5, r.getString(2) + " at " + budget + " moved the input by " + size);
        }
        assertTrue(unrounded, "adversarial inputs must be stored as float32, not 8-bit pixels");
    }

    @Test
    @Order(2)
    void reportWritesAValidNotebookAndAnHtmlPageThatShowsItsFigures() throws Exception {
        String id = runIds.get(0);
        Path out = dir.resolve("export");
        CommandResult r = CommandResult.run(Stream.concat(Stream.of("report", "--out", out.toString()),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        Path folder = out.resolve(id);
        for (String f : List.of("report.ipynb", "report.html", "robustness_curve.png", "class_robustness.png",
                "adversarial_examples_linf.png", "adversarial_examples_l2.png")) {
            assertTrue(Files.size(folder.resolve(f)) > 1000, f);
        }
        validateNotebook(folder.resolve("report.ipynb"));
        JsonNode nb = new ObjectMapper().readTree(folder.resolve("report.ipynb").toFile());
        int images = 0;
        int tables = 0;
        for (JsonNode cell : nb.get("cells")) {
            for (JsonNode output : cell.path("outputs")) {
                images += output.get("data").has("image/png") ? 1 : 0;
                tables += output.get("data").has("text/html") ? 1 : 0;
            }
        }
        assertEquals(4, images);
        assertTrue(tables >= 5, tables + " tables");
        String notebook = Files.readString(folder.resolve("report.ipynb"));
        assertTrue(notebook.contains(id) && notebook.contains("robustness_curve"), "the notebook names its run and views");

        Path html = folder.resolve("report.html");
        assertTrue(!Files.readString(html).contains("http://") && !Files.readString(html).contains("https://"),
                "the page must not fetch anything");
        assertEquals("4/4", imagesLoaded(html), "every figure of the page loads");
        BufferedImage shot = screenshot(html);
        int coloured = 0;
        int ink = 0;
        for (int y = 0; y < shot.getHeight(); y++) {
            for (int x = 0; x < shot.getWidth(); x++) {
                int rgb = shot.getRGB(x, y);
                int red = (rgb >> 16) & 0xff;
                int green = (rgb >> 8) & 0xff;
                int blue = rgb & 0xff;
                int max = Math.max(red, Math.max(green, blue));
                int min = Math.min(red, Math.min(green, blue));
                coloured += max - min > 60 ? 1 : 0;
                ink += max < 200 ? 1 : 0;
            }
        }
        double pixels = shot.getWidth() * (double) shot.getHeight();
        assertTrue(ink / pixels > 0.02, "the page looks blank: " + ink / pixels + " dark pixels");
        assertTrue(coloured / pixels > 0.002, "no chart colours on the page: " + coloured / pixels);
    }

    @Test
    @Order(3)
    void theNotebookRerunsHeadlessAndRedrawsWhatTheTablesHold() throws Exception {
        String id = runIds.get(0);
        Path folder = dir.resolve("export").resolve(id);
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path f : files.filter(p -> Files.isRegularFile(p) && !p.toString().endsWith(".png")).toList()) {
                String text = Files.readString(f);
                for (String local : List.of(dir.toString(), Path.of("").toAbsolutePath().toString(),
                        System.getProperty("user.home") + "/")) {
                    assertTrue(!text.contains(local), folder.relativize(f) + " names the local path " + local);
                }
            }
        }
        Path figures = dir.resolve("figure-data");
        Path executed = dir.resolve("executed.ipynb");
        Path log = dir.resolve("nbclient.log");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
                "import sys, nbformat",
                "from nbclient import NotebookClient",
                "nb = nbformat.read(sys.argv[1], as_version=4)",
                "NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': sys.argv[2]}}).execute()",
                "nbformat.write(nb, sys.argv[3])",
                "for c in nb.cells:",
                "    if c.cell_type == 'code':",
                "        kinds = [k for o in c.outputs for k in o.get('data', {'stream': 0, 'error': 0}).keys()]",
                "        print(c.execution_count, c.source.splitlines()[0][:70], '->', ', '.join(kinds) or '-')"),
                folder.resolve("report.ipynb").toString(), folder.toString(), executed.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GIBBON_FIGURE_DATA", figures.toString());
        pb.environment().put("MPLCONFIGDIR", dir.resolve("mpl").toString());
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("the notebook did not finish in 600 s:\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        // The kernel's debugger warnings aside, one line per code cell.
        System.out.println("--- report.ipynb executed headless (nbclient): cell -> outputs\n"
                + out.lines().filter(l -> l.matches("\\d+ .*")).collect(Collectors.joining("\n")));
        assertEquals(0, p.exitValue(), "nbclient failed (python3-nbclient, python3-ipykernel, python3-matplotlib,"
                + " python3-pandas):\n" + out);
        int images = 0;
        for (JsonNode cell : new ObjectMapper().readTree(executed.toFile()).get("cells")) {
            for (JsonNode output : cell.path("outputs")) {
                assertTrue(!output.path("output_type").asText().equals("error"), output.toString());
                images += output.path("data").has("image/png") ? 1 : 0;
            }
        }
        assertEquals(4, images, "every figure cell redrew its figure");

        ObjectMapper json = new ObjectMapper();
        // The curve: one line per attack in its norm's panel, through exactly the view's points.
        JsonNode curve = json.readTree(figures.resolve("robustness_curve.json").toFile());
        Map<String, List<JsonNode>> byAttack = sqlJson(id, "SELECT attack, norm, epsilon, robust_accuracy FROM"
                + " robustness_curve ORDER BY attack, epsilon").stream()
                .collect(Collectors.groupingBy(r -> r.get("attack").asText(), TreeMap::new, Collectors.toList()));
        assertEquals(PAIRS, byAttack.values().stream().mapToInt(List::size).sum());
        for (Map.Entry<String, List<JsonNode>> e : byAttack.entrySet()) {
            String panel = e.getValue().get(0).get("norm").asText().equals("linf") ? "L∞" : "L2";
            JsonNode line = lines(curve, panel).stream().filter(l -> l.get("label").asText().equals(e.getKey())).findFirst()
                    .orElseThrow(() -> new AssertionError("no line for " + e.getKey() + " in the " + panel + " panel"));
            assertEquals(e.getValue().stream().map(r -> r.get("epsilon").asDouble()).toList(), doubles(line.get("x")));
            assertEquals(e.getValue().stream().map(r -> r.get("robust_accuracy").asDouble()).toList(), doubles(line.get("y")));
        }
        // The class bars: per series and class, exactly class_robustness's accuracy at that budget.
        JsonNode classAxis = json.readTree(figures.resolve("class_robustness.json").toFile()).get("axes").get(0);
        List<String> classes = new ArrayList<>();
        classAxis.get("yticklabels").forEach(t -> classes.add(t.asText()));
        assertEquals(10, classes.size());
        int series = 0;
        for (JsonNode bars : classAxis.get("bars")) {
            String label = bars.get("label").asText();
            boolean clean = label.equals("clean");
            String attack = clean ? "fgsm" : label.substring(0, label.indexOf(" @ ε "));
            String budget = clean ? null : label.substring(label.indexOf(" @ ε ") + 5);
            Map<String, Double> table = new HashMap<>();
            for (JsonNode r : sqlJson(id, "SELECT class_name, epsilon, robust_accuracy, clean_accuracy FROM class_robustness"
                    + " WHERE attack = '" + attack + "'")) {
                if (clean || budget.equals(String.format(java.util.Locale.ROOT, "%.4f", r.get("epsilon").asDouble())
                        .replaceAll("0+$", "").replaceAll("\\.$", ""))) {
                    table.put(r.get("class_name").asText(), r.get(clean ? "clean_accuracy" : "robust_accuracy").asDouble());
                }
            }
            for (int c = 0; c < classes.size(); c++) {
                assertEquals(table.get(classes.get(c)), bars.get("values").get(c).asDouble(), 0, label + ", " + classes.get(c));
            }
            series++;
        }
        assertEquals(byAttack.size() + 1, series, "clean and one series per attack");
        // The grids: the original and adversarial tiles are exactly the stored tensors.
        for (String norm : List.of("linf", "l2")) {
            JsonNode grid = json.readTree(figures.resolve("adversarial_examples_" + norm + ".json").toFile());
            Matcher title = Pattern.compile("(\\S+) at ε = (\\S+) ").matcher(grid.get("title").asText());
            assertTrue(title.find(), grid.get("title").asText());
            JsonNode axes = grid.get("axes");
            assertEquals(3 * grid.get("example_ids").size(), axes.size());
            for (int k = 0; k < grid.get("example_ids").size(); k++) {
                long example = grid.get("example_ids").get(k).asLong();
                Map<Boolean, float[]> stored = new HashMap<>();
                for (JsonNode r : sqlJson(id, "SELECT epsilon, tensor FROM adversarial_examples WHERE attack = '"
                        + title.group(1) + "' AND example_id = " + example)) {
                    double e = r.get("epsilon").asDouble();
                    if (e == 0 || String.format(java.util.Locale.ROOT, "%.4f", e).replaceAll("0+$", "")
                            .replaceAll("\\.$", "").equals(title.group(2))) {
                        float[] t = new float[r.get("tensor").size()];
                        for (int i = 0; i < t.length; i++) {
                            t[i] = (float) r.get("tensor").get(i).asDouble();
                        }
                        stored.put(e == 0, t);
                    }
                }
                assertArrayEquals(stored.get(true), tile(axes.get(3 * k)), "original of #" + example);
                assertArrayEquals(stored.get(false), tile(axes.get(3 * k + 2)), norm + " adversarial of #" + example);
            }
            System.out.printf("redrawn %s grid: %d examples, original and adversarial tiles equal to"
                    + " adversarial_examples.tensor%n", norm, grid.get("example_ids").size());
        }
        System.out.printf("redrawn curve: %d lines through the %d points of robustness_curve; class bars: %d series x %d"
                + " classes equal to class_robustness%n", byAttack.size(), PAIRS, series, classes.size());
    }

    /** Rows of a query through {@code gibbon sql --format json}, one object each. */
    private static List<JsonNode> sqlJson(String runId, String query) throws IOException {
        CommandResult r = CommandResult.run(Stream.concat(Stream.of("sql", "--run", runId, "--format", "json", query),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            rows.add(json.readTree(line));
        }
        return rows;
    }

    private static List<JsonNode> lines(JsonNode figure, String panelTitlePrefix) {
        for (JsonNode axis : figure.get("axes")) {
            if (axis.get("title").asText().startsWith(panelTitlePrefix + " ")) {
                List<JsonNode> out = new ArrayList<>();
                axis.get("lines").forEach(out::add);
                return out;
            }
        }
        throw new AssertionError("no " + panelTitlePrefix + " panel in " + figure.get("axes").size() + " axes");
    }

    private static List<Double> doubles(JsonNode array) {
        List<Double> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asDouble()));
        return out;
    }

    /** A grey tile as drawn, flattened row by row as the tensor stores it. */
    private static float[] tile(JsonNode axis) {
        JsonNode image = axis.get("images").get(0);
        float[] out = new float[image.size() * image.get(0).size()];
        int i = 0;
        for (JsonNode row : image) {
            for (JsonNode v : row) {
                out[i++] = (float) v.asDouble();
            }
        }
        return out;
    }

    @Test
    @Order(4)
    void viewsAnswerTheCommonQuestions() {
        String id = runIds.get(0);
        CommandResult curve = CommandResult.run(Stream.concat(Stream.of("sql", "--run", "latest", "--format", "csv",
                "SELECT attack, epsilon, robust_accuracy, ci_low, ci_high FROM robustness_curve ORDER BY attack, epsilon"),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, curve.exitCode(), curve.err());
        assertEquals(PAIRS + 1, curve.out().lines().count(), curve.out());
        CommandResult latest = CommandResult.run(Stream.concat(Stream.of("sql", "--format", "csv",
                "SELECT DISTINCT run_id FROM latest_summary"), Arrays.stream(settings())).toArray(String[]::new));
        assertEquals("run_id\n" + id + "\n", latest.out());
        CommandResult classes = CommandResult.run(Stream.concat(Stream.of("sql", "--run", id, "--format", "csv",
                "SELECT label, class_name, n, robust_accuracy, clean_accuracy FROM class_robustness"
                        + " WHERE attack = 'fgsm' AND epsilon = 0.1 ORDER BY label"), Arrays.stream(settings()))
                .toArray(String[]::new));
        assertEquals(0, classes.exitCode(), classes.err());
        // Per class, counted here from the prediction rows: clean = fgsm at epsilon 0, attacked = fgsm at 0.1.
        Map<Integer, long[]> counts = new TreeMap<>();
        for (Row p : spark().sql("SELECT label, epsilon, predicted FROM reporttest.robustness.predictions WHERE run_id = '"
                + id + "' AND attack = 'fgsm' AND epsilon IN (0, 0.1)").collectAsList()) {
            long[] c = counts.computeIfAbsent(p.getInt(0), k -> new long[3]);
            boolean right = p.getInt(2) == p.getInt(0);
            if (p.getDouble(1) == 0) {
                c[2] += right ? 1 : 0;
            } else {
                c[0]++;
                c[1] += right ? 1 : 0;
            }
        }
        List<String[]> perClass = classes.out().lines().skip(1).map(l -> l.split(",")).toList();
        assertEquals(counts.keySet().stream().map(String::valueOf).toList(), perClass.stream().map(c -> c[0]).toList(),
                "one row per label: " + classes.out());
        long n = 0;
        for (String[] cells : perClass) {
            long[] c = counts.get(Integer.parseInt(cells[0]));
            assertEquals(c[0], Long.parseLong(cells[2]), "n of label " + cells[0]);
            assertEquals((double) c[1] / c[0], Double.parseDouble(cells[3]), 1e-9, "robust accuracy of label " + cells[0]);
            assertEquals((double) c[2] / c[0], Double.parseDouble(cells[4]), 1e-9, "clean accuracy of label " + cells[0]);
            n += c[0];
        }
        assertEquals(EXAMPLES, n, "class_robustness covers every example once per (attack, epsilon)");
        long names = perClass.stream().map(c -> c[1]).distinct().count();
        assertTrue(names == 9 || names == 10, "class names resolved: " + classes.out());
        CommandResult named = CommandResult.run(Stream.concat(Stream.of("sql", "--format", "csv",
                "SELECT DISTINCT label, class_name FROM class_robustness WHERE label IN (0, 9) ORDER BY label"),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals("label,class_name\n0,T-shirt/top\n9,Ankle boot\n", named.out(), "names from the model's metadata");

        CommandResult unknown = CommandResult.run(Stream.concat(Stream.of("sql", "--run", "no-such-run", "SELECT 1"),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(5, unknown.exitCode());
        assertTrue(unknown.err().contains("no-such-run") && unknown.errors().lines().count() == 1, unknown.err());
    }

    @Test
    @Order(5)
    void thePromptRunsMultiLineStatementsAndSurvivesErrors() {
        String script = "SELECT attack,\n  count(*) AS n\nFROM summary\nGROUP BY attack ORDER BY attack;\n"
                + "SELECT nope FROM summary;\nSELECT count(*) AS rows FROM latest_summary;\n\\q\nSELECT 'after quit';\n";
        CommandResult r = CommandResult.runWithInput(script, Stream.concat(Stream.of("sql"), Arrays.stream(settings()))
                .toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("fgsm    7") && r.out().contains("pgd_l2  4"), r.out());
        assertTrue(r.out().contains("error: query:") && r.out().contains("nope"), r.out());
        assertTrue(r.out().contains("rows\n----\n25"), r.out());
        assertTrue(!r.out().contains("after quit"), r.out());
    }

    @Test
    @Order(6)
    void twoRunsCompareOnOnePlot() throws Exception {
        String first = runIds.get(0);
        String second = run("--set", "attacks.pgd.steps=1");
        Path out = dir.resolve("export");
        CommandResult r = CommandResult.run(Stream.concat(Stream.of("report", first, second, "--out", out.toString(),
                "--epsilon", "0.1"), Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        Path folder = out.resolve("compare-" + first + "_vs_" + second);
        validateNotebook(folder.resolve("report.ipynb"));
        String notebook = Files.readString(folder.resolve("report.ipynb"));
        assertTrue(notebook.contains("run_1") && notebook.contains("run_2") && notebook.contains("ε = 0.1 (L∞)"));
        for (String f : List.of("robustness_curve.png", "class_robustness_run_1.png", "class_robustness_run_2.png",
                "adversarial_examples_linf_run_2.png")) {
            assertTrue(Files.size(folder.resolve(f)) > 1000, f);
        }
        BufferedImage curves = ImageIO.read(folder.resolve("robustness_curve.png").toFile());
        assertEquals(2 * 640, curves.getWidth(), "one panel per norm");
    }

    @Test
    @Order(7)
    void exportedInputsLoadInNumpyAndBackIntoGibbonWithTheSamePredictions() throws Exception {
        String id = runIds.get(0);
        Path all = dir.resolve("tensors-all");
        CommandResult r = CommandResult.run(Stream.concat(Stream.of("export", id, "--out", all.toString()),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        List<Row> stored = spark().sql("SELECT attack, epsilon, example_id, aggregate(tensor, 0D, (a, v) -> a + v) FROM"
                + " reporttest.robustness.adversarial_examples WHERE run_id = '" + id + "' ORDER BY attack, epsilon, example_id")
                .collectAsList();
        String[] numpy = exec(List.of("/usr/bin/python3", "-c", "import sys, csv, numpy as np;"
                + " a = np.load(sys.argv[1] + '/adversarial_examples.npy');"
                + " rows = list(csv.DictReader(open(sys.argv[1] + '/adversarial_examples.csv')));"
                + " print(a.dtype, a.shape); [print(r['attack'], r['epsilon'], r['example_id'], repr(float(a[int(r['row'])].sum(dtype=np.float64))))"
                + " for r in rows]", all.toString()), "python3-numpy");
        List<String> lines = numpy[1].lines().toList();
        assertEquals("float32 (" + stored.size() + ", 1, 28, 28)", lines.get(0));
        for (int i = 0; i < stored.size(); i++) {
            String[] f = lines.get(i + 1).split(" ");
            Row s = stored.get(i);
            assertEquals(s.getString(0) + " " + s.getDouble(1) + " " + s.getLong(2), f[0] + " " + f[1] + " " + f[2]);
            assertEquals(s.getDouble(3), Double.parseDouble(f[3]), 1e-3, "pixel sum of row " + i);
        }

        Path slice = dir.resolve("tensors-pgd");
        assertEquals(0, CommandResult.run(Stream.concat(Stream.of("export", id, "--out", slice.toString(), "--attack", "pgd",
                "--epsilon", "0.1"), Arrays.stream(settings())).toArray(String[]::new)).exitCode());
        String replay = run("--set", "dataset.format=arrow", "--set", "dataset.path=" + slice.resolve("adversarial_examples.arrow"),
                "--set", "attacks.pgd.enabled=false", "--set", "attacks.pgd_l2.enabled=false", "--set", "attacks.noise.enabled=false");
        long differ = spark().sql("SELECT * FROM reporttest.robustness.adversarial_examples a JOIN reporttest.robustness.predictions p"
                + " ON a.example_id = p.example_id WHERE a.run_id = '" + id + "' AND a.attack = 'pgd' AND a.epsilon = 0.1"
                + " AND p.run_id = '" + replay + "' AND p.epsilon = 0 AND (a.predicted != p.predicted"
                + " OR abs(a.confidence - p.confidence) > 1e-5)").count();
        long replayed = spark().sql("SELECT * FROM reporttest.robustness.predictions WHERE run_id = '" + replay
                + "' AND epsilon = 0").count();
        assertEquals(stored.stream().filter(s -> s.getString(0).equals("pgd") && s.getDouble(1) == 0.1).count(), replayed);
        assertEquals(0, differ, "the model must judge the exported inputs exactly as it judged them in the run");

        CommandResult mixed = CommandResult.run(Stream.concat(Stream.of("run", "conf/default.conf", "--set", "dataset.format=arrow",
                "--set", "dataset.path=" + all.resolve("adversarial_examples.arrow")), Arrays.stream(settings()))
                .toArray(String[]::new));
        assertEquals(3, mixed.exitCode());
        assertTrue(mixed.err().contains("--attack") && mixed.errors().lines().count() == 1, mixed.err());
    }

    @Test
    @Order(8)
    void sqlRefusesWritesUnlessAllowed() {
        long snapshots = spark().sql("SELECT * FROM reporttest.robustness.runs.snapshots").count();
        for (String write : List.of("DROP TABLE runs", "DELETE FROM predictions", "INSERT INTO summary SELECT * FROM summary",
                "UPDATE runs SET status = 'x'", "CREATE TABLE copy AS SELECT * FROM runs")) {
            CommandResult r = CommandResult.run(Stream.concat(Stream.of("sql", write), Arrays.stream(settings()))
                    .toArray(String[]::new));
            assertEquals(5, r.exitCode(), write);
            assertTrue(r.err().contains("--allow-writes") && r.errors().lines().count() == 1, r.err());
        }
        for (String sql : List.of("CALL reporttest.system.expire_snapshots(table => 'robustness.runs', retain_last => 1,"
                + " older_than => TIMESTAMP '2100-01-01 00:00:00')", "CALL reporttest.system.remove_orphan_files('robustness.runs')",
                "CALL reporttest.system.rollback_to_timestamp('robustness.runs', TIMESTAMP '2000-01-01 00:00:00')")) {
            CommandResult r = CommandResult.run(Stream.concat(Stream.of("sql", sql), Arrays.stream(settings()))
                    .toArray(String[]::new));
            assertEquals(5, r.exitCode(), sql);
            assertTrue(r.err().contains("--allow-writes") && r.errors().lines().count() == 1, r.err());
        }
        assertTrue(snapshots > 1, "the run committed several snapshots of runs: " + snapshots);
        assertEquals(snapshots, spark().sql("SELECT * FROM reporttest.robustness.runs.snapshots").count(), "runs untouched");
        CommandResult typo = CommandResult.run(Stream.concat(Stream.of("sql", "--allow-writes",
                "CALL reporttest.system.expire_snapshots(table => 'robustness.no_such_table')"), Arrays.stream(settings()))
                .toArray(String[]::new));
        assertEquals(5, typo.exitCode(), typo.err());
        assertTrue(typo.err().contains("no_such_table") && typo.errors().lines().count() == 1, typo.err());
        assertTrue(spark().catalog().tableExists("reporttest.robustness.runs"));
        CommandResult allowed = CommandResult.run(Stream.concat(Stream.of("sql", "--allow-writes",
                "DELETE FROM runs WHERE run_id = 'no-such-run'"), Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, allowed.exitCode(), allowed.err());
        CommandResult reads = CommandResult.run(Stream.concat(Stream.of("sql", "DESCRIBE runs"), Arrays.stream(settings()))
                .toArray(String[]::new));
        assertEquals(0, reads.exitCode(), reads.err());
    }

    /** Validates against the official nbformat JSON schema, with Debian's python3-nbformat. */
    private static void validateNotebook(Path notebook) throws Exception {
        String[] out = exec(List.of("/usr/bin/python3", "-c", "import sys, nbformat; nb = nbformat.read(sys.argv[1],"
                + " as_version=4); nbformat.validate(nb); print('valid', nb.nbformat, nb.nbformat_minor, len(nb.cells))",
                notebook.toString()), "python3-nbformat");
        assertEquals("0", out[0], "nbformat rejects " + notebook + ": " + out[1]);
        assertTrue(out[1].startsWith("valid 4 5"), out[1]);
    }

    /** How many of the page's images Chromium loaded, as "loaded/total". */
    private static String imagesLoaded(Path html) throws Exception {
        Path probe = html.resolveSibling("probe.html");
        Files.writeString(probe, Files.readString(html).replace("</body>", "<script>window.addEventListener('load', () => {"
                + " const all = [...document.images]; document.body.setAttribute('data-images',"
                + " all.filter(i => i.complete && i.naturalWidth > 0).length + '/' + all.length); });</script></body>"));
        try {
            String[] out = exec(chromium("--virtual-time-budget=5000", "--dump-dom", probe.toUri().toString()), "chromium");
            Matcher m = Pattern.compile("data-images=\"([0-9]+/[0-9]+)\"").matcher(out[1]);
            assertTrue(m.find(), "chromium did not run the page: " + out[1].lines().limit(5).toList());
            return m.group(1);
        } finally {
            Files.delete(probe);
        }
    }

    private static BufferedImage screenshot(Path html) throws Exception {
        Path png = html.resolveSibling("screenshot.png");
        String[] out = exec(chromium("--hide-scrollbars", "--window-size=1200,2400", "--screenshot=" + png,
                html.toUri().toString()), "chromium");
        assertEquals("0", out[0], out[1]);
        return ImageIO.read(png.toFile());
    }

    private static List<String> chromium(String... args) {
        List<String> command = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + dir.resolve("chromium-profile")));
        command.addAll(Arrays.asList(args));
        return command;
    }

    /** Runs a tool; returns its exit code and stdout. Fails with the package to install if missing. */
    private static String[] exec(List<String> command, String debianPackage) throws Exception {
        // Output to a file, so that nothing blocks before the time limit is checked.
        Path stdout = Files.createTempFile(dir, "exec", ".out");
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(stdout.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError(command.get(0) + " is missing: apt-get install -y " + debianPackage, e);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            // Chromium starts helper processes: end them before their parent, which links them.
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail(command + " timed out after 120 s");
        }
        return new String[] {String.valueOf(p.exitValue()), Files.readString(stdout, StandardCharsets.UTF_8)};
    }
}
