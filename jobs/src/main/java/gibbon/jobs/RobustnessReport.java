package gibbon.jobs;

import gibbon.GibbonException;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.io.Storage;
import gibbon.report.ClassRobustnessChart;
import gibbon.report.ExampleGrid;
import gibbon.report.HtmlWriter;
import gibbon.report.NotebookWriter;
import gibbon.report.ReportDocument;
import gibbon.report.LocalPaths;
import gibbon.report.ReportDocument.Code;
import gibbon.report.ReportDocument.Data;
import gibbon.report.ReportDocument.Facts;
import gibbon.report.ReportDocument.Figure;
import gibbon.report.ReportDocument.Heading;
import gibbon.report.ReportDocument.Query;
import gibbon.report.ReportDocument.Text;
import gibbon.report.RobustnessCurves;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code gibbon report}: turns one run, or several to compare, into a folder an analyst reads
 * without running anything: {@code report.ipynb} (outputs embedded), {@code report.html} (one
 * offline page), the figures as PNG files and, under {@code data/}, the exact data of every table
 * and figure, so the notebook re-runs without the catalog. Every table in it is a query over the
 * result tables and views, shown with the SQL that made it. Local paths are hidden
 * ({@link LocalPaths}).
 */
public final class RobustnessReport {
    /** Examples shown in an adversarial-example grid. */
    private static final int GRID_EXAMPLES = 6;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SparkSession spark;
    private final ExperimentConfig config;

    /** @param spark a session whose current namespace holds the result tables and the views */
    public RobustnessReport(SparkSession spark, ExperimentConfig config) {
        this.spark = spark;
        this.config = config;
    }

    /** What the report wrote. */
    public record Written(Path folder, List<Path> files) {}

    /** One run's lineage row and what the report derives from it. */
    private record RunInfo(String id, Row row, List<String> classNames) {
        String model() {
            return row.getAs("model_uri");
        }
    }

    /** A point of a run's summary. */
    private record Point(String run, String attack, String norm, double epsilon, double accuracy, double low, double high,
            double clean) {}

    /**
     * Writes the report of {@code runIds} (resolved, existing runs) into a folder under {@code root}
     * named after the run, or {@code compare-...} for several.
     *
     * @param epsilons the budget per norm for the per-class figure and the example grid; a norm left
     *     out gets the sweep's epsilon where the mean robust accuracy over attacks is closest to half
     *     the clean accuracy
     */
    public Written write(List<String> runIds, Path root, Map<String, Double> epsilons) {
        List<RunInfo> runs = runIds.stream().map(this::runInfo).toList();
        String curveSql = "SELECT run_id, attack, norm, epsilon, robust_accuracy, ci_low, ci_high, clean_accuracy FROM"
                + " robustness_curve WHERE run_id IN (" + runIds.stream().map(r -> "'" + r + "'")
                        .collect(Collectors.joining(", ")) + ") ORDER BY run_id, attack, epsilon";
        List<Point> points = points(curveSql);
        List<String> attacks = points.stream().map(Point::attack).distinct().sorted().toList();
        boolean compare = runs.size() > 1;
        String folderName = compare ? "compare-" + String.join("_vs_", runIds) : runIds.get(0);
        Path folder = root.resolve(Storage.safeFileName(folderName));
        ReportDocument doc = new ReportDocument(compare
                ? "Gibbon robustness comparison: " + String.join(" vs ", runIds)
                : "Gibbon robustness report: run " + runIds.get(0));
        doc.add(new Code("python", "parameters", parametersCell(runIds), true));
        doc.add(new Text(introduction(runs, compare)));
        doc.add(new Heading(1, "Lineage"));
        for (int i = 0; i < runs.size(); i++) {
            if (compare) {
                doc.add(new Heading(2, "run_" + (i + 1) + ": " + runs.get(i).id()));
            }
            doc.add(new Facts(lineage(runs.get(i))));
            doc.add(new Code("json", "the run's config, defaults included (runs.config)", prettyConfig(runs.get(i)), false));
        }
        doc.add(new Heading(1, "Re-running this notebook"));
        doc.add(new Text("Every table and figure below is a cell that re-runs: a query cell reads the result it"
                + " saved under `data/`, a figure cell redraws with matplotlib from the data saved beside it. With"
                + " PySpark 4.1 and `GIBBON_WAREHOUSE` set, the live-catalog cell opens the result tables and the"
                + " same cells query them instead; `RUN_IDS` may then name other runs."));
        doc.add(new Code("python", "the figure functions", NotebookWriter.figureFunctions(), true));
        doc.add(new Code("python", "optional: open the live catalog", liveCatalogCell(), true));
        doc.add(new Heading(1, "Robust accuracy against the budget ε"));
        doc.add(new Text("Robust accuracy is the share of examples still classified correctly when an attack may"
                + " change each pixel by at most ε (L∞) or the whole image by at most ε in Euclidean length (L2);"
                + " inputs are in [0, 1]. At ε = 0 it is the clean accuracy. The band is the Wilson 95 % interval:"
                + " with n examples, differences inside it are noise. The dashed line is the clean accuracy. An"
                + " attack that leaves accuracy higher at the same ε is simply weaker: the model's robustness is"
                + " the lowest curve."));
        doc.add(new Figure("robustness_curve.png", RobustnessCurves.png(curves(runs, points, attacks)),
                "Robust accuracy vs ε per attack, L∞ and L2 budgets in separate panels; ε is linear up to the smallest"
                        + " budget measured and logarithmic above, so small budgets get room"
                        + (compare ? "; line style tells the runs apart" : "") + ".",
                csv("robustness_curve.csv", curveSql), "draw_robustness_curve(load(\"robustness_curve.csv\", \"\"\""
                        + curveSql + "\"\"\"))"));
        String runList = runIds.stream().map(r -> "'" + r + "'").collect(Collectors.joining(", "));
        if (compare) {
            StringBuilder pivot = new StringBuilder();
            for (int i = 0; i < runIds.size(); i++) {
                pivot.append(i > 0 ? ", " : "").append("'").append(runIds.get(i)).append("' AS run_").append(i + 1);
            }
            query(doc, "SELECT * FROM (SELECT attack, norm, epsilon, run_id, robust_accuracy FROM robustness_curve"
                    + " WHERE run_id IN (" + runList + ")) PIVOT (first(robust_accuracy) FOR run_id IN (" + pivot
                    + ")) ORDER BY norm, attack, epsilon");
        } else {
            query(doc, "SELECT attack, norm, epsilon, n, robust_accuracy, ci_low, ci_high, attack_success_rate"
                    + " FROM robustness_curve WHERE run_id = '" + runIds.get(0) + "' ORDER BY norm, attack, epsilon");
        }
        doc.add(new Text("The worst case over attacks at each budget is the number to quote: a model is only as"
                + " robust as the strongest attack tried says."));
        query(doc, "SELECT run_id, norm, epsilon, min(robust_accuracy) AS worst_case_accuracy,"
                + " min_by(attack, robust_accuracy) AS strongest_attack FROM robustness_curve WHERE run_id IN (" + runList
                + ") GROUP BY run_id, norm, epsilon ORDER BY run_id, norm, epsilon");
        if (compare) {
            doc.add(new Text("The leaderboard: for each model of these runs, its newest successful run's worst case over"
                    + " attacks at every budget (AutoAttack's own figure beside it where it ran); `standard` marks"
                    + " RobustBench's budgets, L∞ 8/255 and L2 0.5."));
            query(doc, "SELECT model, dataset, run_id, clean_accuracy, norm, epsilon, standard, robust_accuracy, attack,"
                    + " autoattack_accuracy FROM leaderboard WHERE model IN (SELECT model_uri FROM runs WHERE run_id IN ("
                    + runList + ")) ORDER BY standard DESC, norm, epsilon, robust_accuracy DESC, model");
        }
        doc.add(new Heading(2, "How far each example is from being fooled"));
        doc.add(new Text("`min_epsilon` is, per example and attack, the smallest budget of the sweep (refined by"
                + " bisection when configured) at which the attack fools the model. Percentiles over the examples"
                + " the model gets right: half of them fall at the median or below. Examples never fooled within"
                + " the sweep are counted in `never_fooled`."));
        query(doc, "SELECT run_id, attack, norm, count(*) AS clean_correct, count(min_epsilon) AS fooled,"
                + " count(*) - count(min_epsilon) AS never_fooled, percentile(min_epsilon, 0.25) AS p25,"
                + " percentile(min_epsilon, 0.5) AS median, percentile(min_epsilon, 0.75) AS p75 FROM"
                + " (SELECT DISTINCT run_id, example_id, attack, norm, min_epsilon FROM predictions"
                + " WHERE run_id IN (" + runList + ") AND clean_correct) GROUP BY run_id, attack, norm"
                + " ORDER BY run_id, norm, attack");

        for (int i = 0; i < runs.size(); i++) {
            certification(doc, runs.get(i), compare ? "_run_" + (i + 1) : "", compare ? " (run_" + (i + 1) + ")" : "");
        }

        for (int i = 0; i < runs.size(); i++) {
            RunInfo run = runs.get(i);
            String suffix = compare ? "_run_" + (i + 1) : "";
            List<Point> own = points.stream().filter(p -> p.run().equals(run.id())).toList();
            Map<String, Double> chosen = chooseEpsilons(own, epsilons);
            doc.add(new Heading(1, "Which classes break first" + (compare ? " (run_" + (i + 1) + ")" : "")));
            doc.add(new Text("Accuracy per true class at " + describe(chosen) + ", clean beside each attack. Classes"
                    + " are sorted by their mean accuracy under the attacks, most fragile first."));
            String classSql = "SELECT class_name, attack, norm, epsilon, robust_accuracy, clean_accuracy FROM class_robustness"
                    + " WHERE run_id = '" + run.id() + "' AND (" + budgetFilter(chosen) + ") ORDER BY class_name, attack";
            String classData = "class_robustness" + suffix + ".csv";
            doc.add(new Figure("class_robustness" + suffix + ".png", classChart(classSql, chosen, attacks),
                    "Per-class accuracy at " + describe(chosen) + ", most fragile classes first.", csv(classData, classSql),
                    "draw_class_robustness(load(\"" + classData + "\", \"\"\"" + classSql + "\"\"\"), \"class_robustness"
                            + suffix + "\")"));
            query(doc, "SELECT class_name, attack, epsilon, n, robust_accuracy, clean_accuracy FROM class_robustness"
                    + " WHERE run_id = '" + run.id() + "' AND (" + budgetFilter(chosen) + ")"
                    + " ORDER BY robust_accuracy, class_name, attack");
            doc.add(new Heading(1, "Adversarial examples" + (compare ? " (run_" + (i + 1) + ")" : "")));
            doc.add(new Text("The picture behind the numbers: each row is a test image, the change the attack made"
                    + " (amplified so it is visible, mid-grey = unchanged, one gain per grid written above it), and the"
                    + " attacked image with the model's answer and confidence. Red frames mark correct answers the"
                    + " attack turned wrong. Fooled and resisted rows come in the proportion of the attack's measured"
                    + " success rate at that ε, so the picture does not overstate it, and one amplification serves every"
                    + " row. The inputs are stored unrounded in `adversarial_examples` for a sample"
                    + " of examples (`output.adversarial-fraction`)."));
            boolean any = false;
            for (Map.Entry<String, Double> e : chosen.entrySet()) {
                Figure grid = grid(run, e.getKey(), e.getValue(), points, suffix);
                if (grid != null) {
                    doc.add(grid);
                    any = true;
                }
            }
            if (!any) {
                doc.add(new Text("No grid: this run stored no adversarial inputs (`output.adversarial-fraction = 0`), or"
                        + " too few to show fooled and resisted examples in the proportion the attack achieved."));
            }
            query(doc, "SELECT attack, count(DISTINCT example_id) AS examples, count(*) AS tensors FROM"
                    + " adversarial_examples WHERE run_id = '" + run.id() + "' GROUP BY attack ORDER BY attack");
        }
        return save(folder, doc);
    }

    /**
     * For a run that certified: the bracket figure (certified accuracy per σ under the L2 attacks'
     * curves), the bracket view and every example's certificate. Nothing for a run that did not.
     */
    private void certification(ReportDocument doc, RunInfo run, String suffix, String heading) {
        String id = run.id();
        if (spark.sql("SELECT 1 FROM certified WHERE run_id = '" + id + "' LIMIT 1").isEmpty()) {
            return;
        }
        doc.add(new Heading(1, "Certified robustness: randomized smoothing" + heading));
        doc.add(new Text("An attack only bounds robust accuracy from above: a stronger one may break more. Randomized"
                + " smoothing (Cohen, Rosenfeld and Kolter 2019) bounds it from below: the smoothed classifier, the"
                + " class the model gives most often under Gaussian noise of scale σ, is certified to keep its answer"
                + " within the example's L2 radius, with probability 1 − α. The solid lines are the share of examples"
                + " certified correct at each radius, the dashed ones the L2 attacks' robust accuracy at ε = radius."
                + " The certificate is the smoothed classifier's and the attacks attacked the base model, so the two"
                + " bracket the same model only where the base model was trained with that noise."));
        String bracketSql = "SELECT 'certified' AS kind, CAST(sigma AS STRING) AS curve, radius AS epsilon,"
                + " certified_accuracy AS accuracy, ci_low, ci_high, smoothed_accuracy AS clean FROM certified_summary"
                + " WHERE run_id = '" + id + "' UNION ALL SELECT 'attacked', attack, epsilon, robust_accuracy, ci_low,"
                + " ci_high, clean_accuracy FROM robustness_curve WHERE run_id = '" + id + "' AND norm = 'l2'"
                + " ORDER BY kind DESC, curve, epsilon";
        List<Row> rows = spark.sql(bracketSql).collectAsList();
        Map<String, List<Row>> byCurve = rows.stream().collect(Collectors.groupingBy(
                r -> r.getString(0) + "\u0000" + r.getString(1), LinkedHashMap::new, Collectors.toList()));
        List<RobustnessCurves.Curve> curves = new ArrayList<>();
        for (List<Row> curve : byCurve.values()) {
            Row first = curve.get(0);
            boolean certified = first.getString(0).equals("certified");
            curves.add(new RobustnessCurves.Curve(certified ? "certified, σ = " + first.getString(1) : first.getString(1),
                    "l2", first.getDouble(6), certified ? 0 : 1, certified ? "smoothed" : "base model", curves.size(),
                    curve.stream().map(r -> new RobustnessCurves.Point(r.getDouble(2), r.getDouble(3), r.getDouble(4),
                            r.getDouble(5))).toList()));
        }
        String name = "certified_bracket" + suffix;
        doc.add(new Figure(name + ".png", RobustnessCurves.bracketPng(curves), "Certified accuracy per σ against the L2"
                + " radius (solid, with its Wilson band) and the L2 attacks' robust accuracy against ε (dashed); the"
                + " grey lines mark the clean accuracy of the smoothed classifier (the first σ) and of the base model.", csv(name + ".csv", bracketSql),
                "draw_certified_bracket(load(\"" + name + ".csv\", \"\"\"" + bracketSql + "\"\"\"), \"" + name + "\")"));
        query(doc, "SELECT sigma, radius, n, certified_accuracy, certified_ci_low, certified_ci_high,"
                + " empirical_robust_accuracy, strongest_attack, smoothed_accuracy FROM certified_bracket WHERE run_id = '"
                + id + "' ORDER BY sigma, radius");
        doc.add(new Text("Every example's certificate: the class certified (null when CERTIFY abstains), its radius, the"
                + " lower confidence bound p̲A on the top class's probability under noise, and the counts behind it."));
        query(doc, "SELECT example_id, label, sigma, predicted, abstained, correct, radius, p_a_lower, n_a, n, predict"
                + " FROM certified WHERE run_id = '" + id + "' ORDER BY sigma, example_id");
    }

    /** Writes the report with local paths hidden: figures, data files, notebook and page. */
    private Written save(Path folder, ReportDocument made) {
        ReportDocument doc = made.mapText(new LocalPaths(Path.of(""))::hide);
        List<Path> files = new ArrayList<>();
        try {
            Files.createDirectories(folder.resolve(NotebookWriter.DATA_FOLDER));
            for (Figure f : doc.figures()) {
                files.add(Files.write(folder.resolve(f.fileName()), f.png()));
            }
            for (Data d : doc.data()) {
                files.add(Files.writeString(folder.resolve(NotebookWriter.DATA_FOLDER).resolve(d.fileName()), d.text(),
                        StandardCharsets.UTF_8));
            }
            files.add(Files.writeString(folder.resolve("report.ipynb"), NotebookWriter.write(doc), StandardCharsets.UTF_8));
            files.add(Files.writeString(folder.resolve("report.html"), HtmlWriter.write(doc), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + folder, e);
        }
        return new Written(folder, files);
    }

    private RunInfo runInfo(String runId) {
        Row row = spark.sql("SELECT * FROM runs WHERE run_id = '" + runId + "'").first();
        if (!"succeeded".equals(row.getAs("status"))) {
            throw new GibbonException(GibbonException.Kind.QUERY, "run '" + runId + "' has status " + row.getAs("status")
                    + "; only succeeded runs have complete results to report");
        }
        List<String> classNames = row.isNullAt(row.fieldIndex("class_names")) ? List.of() : row.getList(row.fieldIndex("class_names"));
        return new RunInfo(runId, row, classNames);
    }

    private List<Point> points(String curveSql) {
        return spark.sql(curveSql).collectAsList().stream()
                .map(r -> new Point(r.getString(0), r.getString(1), r.getString(2), r.getDouble(3), r.getDouble(4),
                        r.getDouble(5), r.getDouble(6), r.getDouble(7)))
                .toList();
    }

    private static List<RobustnessCurves.Curve> curves(List<RunInfo> runs, List<Point> points, List<String> attacks) {
        List<RobustnessCurves.Curve> curves = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            String run = runs.get(i).id();
            String runLabel = runs.size() > 1 ? "run_" + (i + 1) : run;
            for (String attack : attacks) {
                List<Point> own = points.stream().filter(p -> p.run().equals(run) && p.attack().equals(attack)).toList();
                if (own.isEmpty()) {
                    continue;
                }
                curves.add(new RobustnessCurves.Curve(runs.size() > 1 ? runLabel + ": " + attack : attack, own.get(0).norm(),
                        own.get(0).clean(), i, runLabel, attacks.indexOf(attack),
                        own.stream().map(p -> new RobustnessCurves.Point(p.epsilon(), p.accuracy(), p.low(), p.high())).toList()));
            }
        }
        return curves;
    }

    /** Per norm, the given epsilon or the sweep's epsilon where attacks leave about half the clean accuracy. */
    private static Map<String, Double> chooseEpsilons(List<Point> points, Map<String, Double> given) {
        Map<String, Double> chosen = new TreeMap<>(Comparator.comparing((String n) -> !n.equals("linf")).thenComparing(n -> n));
        for (String norm : points.stream().map(Point::norm).collect(Collectors.toCollection(TreeSet::new))) {
            if (given.containsKey(norm)) {
                chosen.put(norm, given.get(norm));
                continue;
            }
            Map<Double, List<Point>> byEpsilon = points.stream().filter(p -> p.norm().equals(norm) && p.epsilon() > 0)
                    .collect(Collectors.groupingBy(Point::epsilon, TreeMap::new, Collectors.toList()));
            double best = Double.NaN;
            double bestGap = Double.MAX_VALUE;
            for (Map.Entry<Double, List<Point>> e : byEpsilon.entrySet()) {
                double mean = e.getValue().stream().mapToDouble(Point::accuracy).average().orElse(0);
                double gap = Math.abs(mean - e.getValue().get(0).clean() / 2);
                if (gap < bestGap) {
                    bestGap = gap;
                    best = e.getKey();
                }
            }
            if (!Double.isNaN(best)) {
                chosen.put(norm, best);
            }
        }
        return chosen;
    }

    private byte[] classChart(String classSql, Map<String, Double> chosen, List<String> attacks) {
        List<Row> rows = spark.sql(classSql).collectAsList();
        Map<String, Double> meanByClass = rows.stream().collect(Collectors.groupingBy(r -> r.<String>getAs("class_name"),
                Collectors.averagingDouble(r -> r.<Double>getAs("robust_accuracy"))));
        List<String> classes = meanByClass.keySet().stream()
                .sorted(Comparator.comparing((String c) -> meanByClass.get(c)).thenComparing(Comparator.naturalOrder())).toList();
        List<ClassRobustnessChart.Bar> bars = new ArrayList<>();
        Map<String, Double> clean = new LinkedHashMap<>();
        rows.forEach(r -> clean.putIfAbsent(r.getAs("class_name"), r.getAs("clean_accuracy")));
        classes.forEach(c -> bars.add(new ClassRobustnessChart.Bar("clean", -1, c, clean.get(c))));
        for (String attack : attacks) {
            for (String c : classes) {
                rows.stream().filter(r -> r.getAs("attack").equals(attack) && r.getAs("class_name").equals(c)).findFirst()
                        .ifPresent(r -> bars.add(new ClassRobustnessChart.Bar(attack + " @ ε " + number(r.getAs("epsilon")),
                                attacks.indexOf(attack), c, r.getAs("robust_accuracy"))));
            }
        }
        return ClassRobustnessChart.png("Accuracy per class at " + describe(chosen), bars);
    }

    /**
     * The example grid for the norm's strongest attack at {@code epsilon} that stored inputs: fooled and
     * resisted examples in the proportion of the attack's measured success rate (ExampleGrid.select).
     */
    private Figure grid(RunInfo run, String norm, double epsilon, List<Point> points, String suffix) {
        List<String> stored = spark.sql("SELECT DISTINCT attack FROM adversarial_examples WHERE run_id = '" + run.id()
                + "' AND norm = '" + norm + "' AND epsilon = " + epsilon).collectAsList().stream().map(r -> r.getString(0))
                .toList();
        String attack = points.stream().filter(p -> p.run().equals(run.id()) && p.norm().equals(norm)
                        && p.epsilon() == epsilon && stored.contains(p.attack()))
                .min(Comparator.comparingDouble(Point::accuracy).thenComparing(Point::attack)).map(Point::attack).orElse(null);
        if (attack == null) {
            return null;
        }
        Row rate = spark.sql("SELECT attack_success_rate FROM robustness_curve WHERE run_id = '" + run.id()
                + "' AND attack = '" + attack + "' AND epsilon = " + epsilon).first();
        if (rate.isNullAt(0)) {
            return null;
        }
        double successRate = rate.getDouble(0);
        // The first GRID_EXAMPLES fooled and resisted examples by id: enough to match any proportion.
        Dataset<Row> rows = spark.sql("SELECT * FROM (SELECT a.example_id, a.label, a.predicted, a.confidence, a.tensor,"
                + " c.predicted AS clean_predicted, c.confidence AS clean_confidence, c.tensor AS original, a.shape,"
                + " row_number() OVER (PARTITION BY a.predicted = a.label ORDER BY a.example_id) AS k"
                + " FROM adversarial_examples a JOIN adversarial_examples c ON a.run_id = c.run_id"
                + " AND a.example_id = c.example_id AND a.attack = c.attack AND c.epsilon = 0"
                + " WHERE a.run_id = '" + run.id() + "' AND a.attack = '" + attack + "' AND a.epsilon = " + epsilon
                + " AND c.predicted = c.label) WHERE k <= " + GRID_EXAMPLES + " ORDER BY example_id");
        List<ExampleGrid.Row> candidates = new ArrayList<>();
        for (Row r : rows.collectAsList()) {
            candidates.add(new ExampleGrid.Row(r.getLong(0), className(run, r.getInt(1)), ExampleSource.floats(r.getList(7)), ExampleSource.floats(r.getList(4)),
                    r.getList(8).stream().mapToInt(v -> (Integer) v).toArray(), className(run, r.getInt(5)), r.getFloat(6),
                    className(run, r.getInt(2)), r.getFloat(3)));
        }
        List<ExampleGrid.Row> grid = ExampleGrid.select(candidates, successRate, GRID_EXAMPLES);
        if (grid.isEmpty()) {
            return null;
        }
        String title = attack + " at ε = " + number(epsilon) + " (" + RobustnessCurves.normName(norm) + ")";
        String name = "adversarial_examples_" + norm + suffix;
        return new Figure(name + ".png", ExampleGrid.png(title, grid), ExampleGrid.caption(title, grid, successRate),
                new Data(name + ".json", gridJson(title, attack, norm, epsilon, successRate, grid)),
                "draw_example_grid(load(\"" + name + ".json\"), \"" + name + "\")");
    }

    /** Adds the table a query gives, its result saved as the next {@code table_NN.csv}. */
    private void query(ReportDocument doc, String sql) {
        Dataset<Row> result = spark.sql(sql);
        List<Row> collected = result.collectAsList();
        List<List<String>> rows = new ArrayList<>();
        for (Row r : collected) {
            List<String> cells = new ArrayList<>();
            for (int i = 0; i < r.length(); i++) {
                Object v = r.get(i);
                cells.add(v == null ? null : v instanceof Double d ? number(d) : v.toString());
            }
            rows.add(cells);
        }
        long tables = doc.blocks().stream().filter(Query.class::isInstance).count();
        String file = String.format(Locale.ROOT, "table_%02d.csv", tables + 1);
        doc.add(new Query(sql, List.of(result.columns()), rows,
                new Data(file, QueryFormat.CSV.render(result.schema(), collected))));
    }

    /** A figure's data: the exact result of its query, as CSV. */
    private Data csv(String file, String sql) {
        Dataset<Row> result = spark.sql(sql);
        return new Data(file, QueryFormat.CSV.render(result.schema(), result.collectAsList()));
    }

    private static String gridJson(String title, String attack, String norm, double epsilon, double successRate,
            List<ExampleGrid.Row> grid) {
        ObjectNode root = JSON.createObjectNode();
        root.put("title", title).put("attack", attack).put("norm", norm).put("epsilon", epsilon)
                .put("success_rate", successRate).put("gain", ExampleGrid.gain(grid));
        ArrayNode shape = root.putArray("shape");
        Arrays.stream(grid.get(0).shape()).forEach(shape::add);
        ArrayNode rows = root.putArray("rows");
        for (ExampleGrid.Row r : grid) {
            ObjectNode row = rows.addObject().put("example_id", r.exampleId()).put("true_class", r.trueClass())
                    .put("clean_predicted", r.cleanPrediction()).put("clean_confidence", r.cleanConfidence())
                    .put("predicted", r.adversarialPrediction()).put("confidence", r.adversarialConfidence())
                    .put("fooled", !r.adversarialPrediction().equals(r.trueClass()));
            ArrayNode original = row.putArray("original");
            ArrayNode adversarial = row.putArray("adversarial");
            for (int i = 0; i < r.original().length; i++) {
                original.add(r.original()[i]);
                adversarial.add(r.adversarial()[i]);
            }
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The notebook's first code cell: which runs, and where their data lives. */
    private String parametersCell(List<String> runIds) {
        String ids = runIds.stream().map(r -> "\"" + r + "\"").collect(Collectors.joining(", "));
        return String.join("\n",
                "# Parameters. The cells read the data saved in DATA_DIR next to this notebook. Set GIBBON_WAREHOUSE to",
                "# query the live catalog with PySpark 4.1 instead; RUN_IDS may then name other runs.",
                "import os",
                "REPORT_RUN_IDS = [" + ids + "]",
                "RUN_IDS = REPORT_RUN_IDS",
                "DATA_DIR = os.environ.get(\"GIBBON_REPORT_DATA\", \"" + NotebookWriter.DATA_FOLDER + "\")",
                "# This report was made from the " + config.catalogType() + " catalog '" + config.catalog()
                        + "', warehouse '" + ResultCatalog.warehouse(config) + "'.",
                "WAREHOUSE = os.environ.get(\"GIBBON_WAREHOUSE\")");
    }

    /** Opens the Iceberg catalog the report was made from, when WAREHOUSE is set, and defines the views. */
    private String liveCatalogCell() {
        String catalog = config.catalog();
        String prefix = "spark.sql.catalog." + catalog;
        Map<String, String> properties = ResultCatalog.propertiesWithoutCredentials(config);
        String packages = "org.apache.iceberg:iceberg-spark-runtime-4.1_2.13:1.11.0"
                + (properties.getOrDefault("uri", "").startsWith("jdbc:postgresql:") ? ",org.postgresql:postgresql:42.7.14" : "");
        List<String> lines = new ArrayList<>(List.of(
                "# Optional, with PySpark 4.1: the cells below then query the result tables themselves.",
                "if WAREHOUSE:",
                "    from pyspark.sql import SparkSession",
                "    spark = (SparkSession.builder",
                "             .config(\"spark.jars.packages\", \"" + packages + "\")",
                "             .config(\"spark.sql.extensions\", \"org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions\")",
                "             .config(\"" + prefix + "\", \"org.apache.iceberg.spark.SparkCatalog\")",
                "             .config(\"" + prefix + ".type\", \"" + config.catalogType() + "\")",
                "             .config(\"" + prefix + ".warehouse\", WAREHOUSE)"));
        // Credentials are never written into a report: the cell reads them from the environment.
        properties.forEach((key, value) -> lines.add("             .config(\"" + prefix + "." + key + "\", "
                + (value.equals(ConfigLoader.REDACTED) ? "os.environ[\"GIBBON_CATALOG_"
                        + key.substring(key.lastIndexOf('.') + 1).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_") + "\"]"
                        : "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"") + ")"));
        lines.add("             .getOrCreate())");
        lines.add("    spark.sql(\"USE " + catalog + "." + config.namespace() + "\")");
        AnalystViews.definitions(null).forEach((name, sql) -> lines.add(
                "    spark.sql(\"\"\"CREATE OR REPLACE TEMPORARY VIEW " + name + " AS " + sql + "\"\"\")"));
        return String.join("\n", lines);
    }

    private static String introduction(List<RunInfo> runs, boolean compare) {
        RunInfo first = runs.get(0);
        if (compare) {
            return "This report compares " + runs.size() + " runs on one set of curves (line style = run). Each run"
                    + " attacked its own model with the attacks of its config; the lineage below says exactly which"
                    + " weights, data and settings each used.";
        }
        return "How easily can the model `" + first.model() + "` be fooled? Gibbon attacked "
                + first.row().getAs("n_examples") + " examples of `" + first.row().getAs("dataset_uri")
                + "` with every configured attack over a sweep of perturbation budgets ε and recorded the model's"
                + " answer on each. This report reads those results from the tables; the notebook's cells show the"
                + " SQL behind every table.";
    }

    private static List<Map.Entry<String, String>> lineage(RunInfo run) {
        Row r = run.row();
        List<Map.Entry<String, String>> facts = new ArrayList<>();
        for (String column : List.of("run_id", "status", "started_at", "finished_at", "model_uri", "model_sha256",
                "dataset_uri", "n_examples", "spark_master", "executors", "gibbon_version")) {
            Object v = r.getAs(column);
            facts.add(new SimpleEntry<>(column, v == null ? "" : v.toString()));
        }
        facts.add(new SimpleEntry<>("classes", String.join(", ", run.classNames())));
        return facts;
    }

    private static String prettyConfig(RunInfo run) {
        String json = run.row().getAs("config");
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(json));
        } catch (IOException e) {
            return json;
        }
    }

    private static String budgetFilter(Map<String, Double> chosen) {
        return chosen.entrySet().stream().map(e -> "(norm = '" + e.getKey() + "' AND epsilon = " + e.getValue() + ")")
                .collect(Collectors.joining(" OR "));
    }

    private static String describe(Map<String, Double> chosen) {
        return chosen.entrySet().stream().map(e -> "ε = " + number(e.getValue()) + " (" + RobustnessCurves.normName(e.getKey()) + ")")
                .collect(Collectors.joining(" and "));
    }

    private static String className(RunInfo run, int label) {
        return label >= 0 && label < run.classNames().size() ? run.classNames().get(label) : Integer.toString(label);
    }


    private static String number(double v) {
        String s = String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "");
        return s.endsWith(".") ? s + "0" : s;
    }
}
