package gibbon.jobs;

import gibbon.GibbonException;
import gibbon.data.DatasetSpec;
import gibbon.data.TensorArrowFile;
import gibbon.io.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * Adversarial inputs exported by {@code gibbon export} (an Arrow IPC file), read back as a dataset:
 * attack another model with them, or attack them further. The file must hold one input per example
 * (export one attack and epsilon with {@code --attack} and {@code --epsilon}). Exports are samples,
 * small enough for the driver to read and hand to Spark.
 */
final class ArrowSource implements ExampleSource {
    private final String location;
    private final int[] shape;
    private final List<TensorArrowFile.Entry> entries;

    ArrowSource(DatasetSpec spec, Map<String, String> hadoop) {
        this.location = Storage.absolute(spec.path());
        TensorArrowFile.Contents contents;
        try {
            Path local = Files.createTempFile("gibbon-dataset", ".arrow");
            try {
                Storage.copyToLocal(location, local, hadoop);
                contents = TensorArrowFile.read(local);
            } finally {
                Files.deleteIfExists(local);
            }
        } catch (IOException e) {
            throw new GibbonException(GibbonException.Kind.DATA, location + ": cannot read (" + e.getMessage() + ")", e);
        }
        this.shape = contents.shape();
        this.entries = contents.entries().stream().sorted(Comparator.comparingLong(TensorArrowFile.Entry::exampleId)).toList();
        long ids = entries.stream().mapToLong(TensorArrowFile.Entry::exampleId).distinct().count();
        if (ids != entries.size()) {
            String slices = entries.stream().map(e -> e.attack() + "@" + e.epsilon()).distinct().sorted()
                    .collect(Collectors.joining(", "));
            throw GibbonException.data(location + ": holds " + entries.size() + " inputs for " + ids + " examples ("
                    + slices + "); export one with gibbon export --attack NAME --epsilon EPS");
        }
        if (entries.isEmpty()) {
            throw GibbonException.data(location + ": holds no examples");
        }
    }

    @Override
    public long size() {
        return entries.size();
    }

    @Override
    public String uri() {
        return location;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public int[] labelRange() {
        return new int[] {entries.stream().mapToInt(TensorArrowFile.Entry::label).min().orElse(0),
            entries.stream().mapToInt(TensorArrowFile.Entry::label).max().orElse(0)};
    }

    @Override
    public Dataset<Row> rows(SparkSession spark, long n, int partitions) {
        List<Row> rows = entries.stream().limit(n).map(e -> RowFactory.create(e.exampleId(), e.label(), null, e.tensor()))
                .toList();
        return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
    }
}
