package gibbon.jobs;

import gibbon.data.Example;
import gibbon.data.IdxDataset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The examples of a run as a Spark Dataset of (example_id, label, pixels). The driver only cuts the
 * id range into slices; each executor reads its own slice from storage, so no image passes through
 * the driver.
 */
public final class ExampleRows {
    public static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("example_id", DataTypes.LongType, false),
        DataTypes.createStructField("label", DataTypes.IntegerType, false),
        DataTypes.createStructField("pixels", DataTypes.BinaryType, false),
    });

    private ExampleRows() {}

    /** The first {@code n} examples of the dataset in {@code partitions} contiguous slices. */
    public static Dataset<Row> of(SparkSession spark, IdxDataset dataset, long n, int partitions) {
        return spark.range(0, partitions, 1, partitions)
                .flatMap(new ReadSlice(dataset, n, partitions), Encoders.row(SCHEMA));
    }

    public static Example toExample(Row row) {
        return new Example(row.getLong(0), row.getInt(1), (byte[]) row.get(2));
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
                rows.add(RowFactory.create(e.id(), e.label(), e.pixels()));
            }
            return rows.iterator();
        }
    }
}
