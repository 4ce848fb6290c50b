package gibbon.cli;

import com.univocity.parsers.csv.CsvWriter;
import gibbon.GibbonException;
import gibbon.data.NpyWriter;
import gibbon.data.TensorArrowFile;
import gibbon.io.Storage;
import gibbon.jobs.AnalystViews;
import gibbon.jobs.ExampleSource;
import gibbon.jobs.QueryFormat;
import gibbon.jobs.ResultTables;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gibbon export}: a run's stored adversarial inputs as files other tools load: an Arrow IPC
 * file (pyarrow, or back into Gibbon as {@code dataset.format = arrow}), a NumPy array and a CSV
 * index of its rows.
 */
@Command(name = "export", mixinStandardHelpOptions = true, description = {
    "Export a run's stored adversarial inputs (table adversarial_examples) to OUT/adversarial_examples.arrow,",
    ".npy (float32, N x channels x rows x columns) and .csv (one line per row of the array)."})
final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", defaultValue = AnalystViews.LATEST, paramLabel = "RUN_ID",
            description = "The run (default: latest).")
    String run;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder to write (default: notebooks-export/<run>/tensors).")
    Path out;

    @Option(names = "--attack", paramLabel = "NAME", description = "Only this attack (config entry name).")
    String attack;

    @Option(names = "--epsilon", paramLabel = "EPS", description = "Only this epsilon.")
    Double epsilon;

    @Mixin
    ResultTablesOptions results;

    @Override
    public Integer call() throws IOException {
        ResultTablesOptions.Opened opened = results.open();
        SparkSession spark = opened.spark();
        ResultTables tables = opened.tables();
        String runId = AnalystViews.resolveRun(spark, tables, run);
        if (attack != null && !attack.matches("[A-Za-z0-9_.-]+")) {
            throw GibbonException.config("--attack '" + attack + "' is not an attack name");
        }
        String where = "run_id = '" + runId + "'" + (attack == null ? "" : " AND attack = '" + attack + "'")
                + (epsilon == null ? "" : " AND epsilon = " + epsilon);
        Dataset<Row> rows = spark.sql("SELECT example_id, label, attack, norm, epsilon, predicted, confidence, shape, tensor"
                + " FROM " + tables.name(ResultTables.ADVERSARIAL_EXAMPLES) + " WHERE " + where
                + " ORDER BY attack, epsilon, example_id");
        long n = rows.count();
        if (n == 0) {
            throw new GibbonException(GibbonException.Kind.QUERY, "run " + runId + ": no stored adversarial inputs match "
                    + where + " (output.adversarial-fraction decides how many a run keeps)");
        }
        List<Object> shapeList = rows.first().getList(7);
        int[] shape = shapeList.stream().mapToInt(v -> (Integer) v).toArray();
        Path folder = out != null ? out : Path.of("notebooks-export", Storage.safeFileName(runId), "tensors");
        Files.createDirectories(folder);
        String classNames = spark.sql("SELECT to_json(class_names) FROM " + tables.name(ResultTables.RUNS)
                + " WHERE run_id = '" + runId + "'").first().getString(0);
        Map<String, String> metadata = classNames == null ? Map.of("gibbon.run_id", runId)
                : Map.of("gibbon.run_id", runId, "gibbon.class_names", classNames);
        Path arrow = folder.resolve("adversarial_examples.arrow");
        Path npy = folder.resolve("adversarial_examples.npy");
        Path csv = folder.resolve("adversarial_examples.csv");
        try (NpyWriter array = new NpyWriter(npy, new long[] {n, shape[0], shape[1], shape[2]});
                Writer indexFile = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            CsvWriter index = QueryFormat.csvWriter(indexFile);
            index.writeHeaders("row", "example_id", "label", "attack", "norm", "epsilon", "predicted", "confidence");
            Iterator<Row> source = rows.toLocalIterator();
            long[] row = {0};
            TensorArrowFile.write(arrow, shape, metadata, new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return source.hasNext();
                }

                @Override
                public TensorArrowFile.Entry next() {
                    Row r = source.next();
                    float[] tensor = ExampleSource.floats(r.getList(8));
                    TensorArrowFile.Entry e = new TensorArrowFile.Entry(r.getLong(0), r.getInt(1), r.getString(2),
                            r.getString(3), r.getDouble(4), r.getInt(5), r.getFloat(6), tensor);
                    try {
                        array.write(tensor);
                    } catch (IOException ex) {
                        throw new java.io.UncheckedIOException(ex);
                    }
                    index.writeRow(row[0]++, e.exampleId(), e.label(), e.attack(), e.norm(), e.epsilon(), e.predicted(),
                            e.confidence());
                    return e;
                }
            });
            index.flush();
        }
        System.out.printf("export: %d adversarial inputs of run %s, shape %d x %d x %d%n", n, runId, shape[0], shape[1],
                shape[2]);
        for (Path p : List.of(arrow, npy, csv)) {
            System.out.println("  " + p);
        }
        return 0;
    }
}
