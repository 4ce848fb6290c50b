package gibbon.jobs;

import gibbon.data.DatasetSpec;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * An IDX image/label pair. The driver only cuts the id range into contiguous slices; each executor
 * reads its own slice from storage, so no image passes through the driver.
 */
final class IdxSource implements ExampleSource {
    private final IdxDataset dataset;

    IdxSource(DatasetSpec spec, Map<String, String> hadoop) {
        this.dataset = IdxDataset.open(spec.images(), spec.labels(), hadoop);
    }

    @Override
    public long size() {
        return dataset.size();
    }

    @Override
    public String uri() {
        return dataset.imagesUri();
    }

    @Override
    public String labelsUri() {
        return dataset.labelsUri();
    }

    @Override
    public int[] shape() {
        return dataset.shape();
    }

    @Override
    public int[] labelRange() {
        return new int[] {0, dataset.maxLabel()};
    }

    @Override
    public Dataset<Row> rows(SparkSession spark, long n, int partitions) {
        return spark.range(0, partitions, 1, partitions).flatMap(new ReadSlice(dataset, n, partitions), Encoders.row(SCHEMA));
    }

    @Override
    public List<Example> head(SparkSession spark, int n) {
        List<Example> out = new ArrayList<>(n);
        dataset.read(0, Math.min(n, dataset.size())).forEachRemaining(out::add);
        return out;
    }

    /** Reads slice i of n examples cut into k slices. */
    private record ReadSlice(IdxDataset dataset, long n, int slices) implements FlatMapFunction<Long, Row> {
        @Override
        public Iterator<Row> call(Long slice) {
            long start = n * slice / slices;
            long end = n * (slice + 1) / slices;
            Iterator<Example> examples = dataset.read(start, end);
            List<Row> rows = new ArrayList<>((int) (end - start));
            while (examples.hasNext()) {
                Example e = examples.next();
                rows.add(RowFactory.create(e.id(), e.label(), e.pixels(), null));
            }
            return rows.iterator();
        }
    }
}
