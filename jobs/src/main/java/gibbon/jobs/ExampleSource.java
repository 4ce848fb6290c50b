package gibbon.jobs;

import gibbon.GibbonException;
import gibbon.data.DatasetSpec;
import gibbon.data.Example;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where a run's examples come from: an IDX pair, an image folder, a Parquet table or an Arrow
 * file of exported adversarial inputs. Opening a
 * source checks it on the driver (files, columns, labels); {@link #rows} gives the examples as a
 * Spark Dataset of {@link #SCHEMA} that the executors read from storage themselves.
 */
public interface ExampleSource {
    /** (example_id, label, pixels as unsigned bytes or values as floats in [0, 1]). */
    StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("example_id", DataTypes.LongType, false),
        DataTypes.createStructField("label", DataTypes.IntegerType, false),
        DataTypes.createStructField("pixels", DataTypes.BinaryType, true),
        DataTypes.createStructField("values", DataTypes.createArrayType(DataTypes.FloatType, false), true),
    });

    /**
     * Opens and checks the dataset a spec names, for a model of the given input shape; Spark is
     * started only for the formats that need it to list or read their files.
     */
    static ExampleSource open(Supplier<SparkSession> spark, DatasetSpec spec, int[] inputShape, Map<String, String> hadoop) {
        return switch (spec.format()) {
            case DatasetSpec.IDX -> new IdxSource(spec, hadoop);
            case DatasetSpec.IMAGE_FOLDER -> new ImageFolderSource(spark.get(), spec, inputShape, hadoop);
            case DatasetSpec.PARQUET -> new ParquetSource(spark.get(), spec, inputShape);
            case DatasetSpec.ARROW -> new ArrowSource(spec, hadoop);
            default -> throw GibbonException.config("config key 'dataset.format': unknown format '" + spec.format() + "'");
        };
    }

    /** Examples available. */
    long size();

    /** The dataset's location, as recorded in {@code runs.dataset_uri}. */
    String uri();

    /** The location of the labels, where they are a file of their own. */
    default String labelsUri() {
        return uri();
    }

    /** The image shape the source holds, or null when it is fitted to the model's. */
    int[] shape();

    /** Smallest and largest label. */
    int[] labelRange();

    /** Class names the source knows (image-folder: its folders), or empty. */
    default List<String> classNames() {
        return List.of();
    }

    /** The first {@code n} examples by id in {@code partitions} partitions. */
    Dataset<Row> rows(SparkSession spark, long n, int partitions);

    /** The first {@code n} examples, on the driver: a Spark job unless the source can read them itself. */
    default List<Example> head(SparkSession spark, int n) {
        return rows(spark, n, 1).collectAsList().stream().map(ExampleSource::toExample).toList();
    }

    /** The examples of a partition of {@link #SCHEMA} rows. */
    static java.util.Iterator<Example> examples(java.util.Iterator<Row> rows) {
        return new java.util.Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Example next() {
                return toExample(rows.next());
            }
        };
    }

    static Example toExample(Row row) {
        if (!row.isNullAt(2)) {
            return new Example(row.getLong(0), row.getInt(1), (byte[]) row.get(2));
        }
        return Example.ofValues(row.getLong(0), row.getInt(1), floats(row.getList(3)));
    }

    /** A Spark array<float> column value as a Java array. */
    public static float[] floats(List<?> list) {
        float[] values = new float[list.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (Float) list.get(i);
        }
        return values;
    }
}
