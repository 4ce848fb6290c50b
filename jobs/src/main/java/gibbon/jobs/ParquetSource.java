package gibbon.jobs;

import static org.apache.spark.sql.functions.col;

import gibbon.GibbonException;
import gibbon.data.DatasetSpec;
import gibbon.data.ImageDecoder;
import gibbon.io.Storage;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegralType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A Parquet table of examples: an integer id column, an integer label column, and an image column
 * holding either encoded PNG/JPEG bytes (decoded and resized to the model's input shape) or a float
 * array of exactly the input shape with values in [0, 1].
 */
final class ParquetSource implements ExampleSource {
    private final String location;
    private final Dataset<Row> table;
    private final boolean encoded;
    private final int[] inputShape;
    private final long size;
    private final int[] labelRange;

    ParquetSource(SparkSession spark, DatasetSpec spec, int[] inputShape) {
        this.location = Storage.absolute(spec.path());
        this.inputShape = inputShape;
        Dataset<Row> raw;
        try {
            raw = spark.read().parquet(location);
        } catch (Exception e) {
            throw new GibbonException(GibbonException.Kind.DATA, location + ": cannot read as Parquet ("
                    + e.getMessage().lines().findFirst().orElse("") + ")", e);
        }
        DataType id = column(raw, spec.idColumn(), "dataset.id-column");
        DataType label = column(raw, spec.labelColumn(), "dataset.label-column");
        DataType image = column(raw, spec.imageColumn(), "dataset.image-column");
        if (!(id instanceof IntegralType) || !(label instanceof IntegralType)) {
            throw GibbonException.data(location + ": columns '" + spec.idColumn() + "' and '" + spec.labelColumn()
                    + "' must be integers, found " + id.simpleString() + " and " + label.simpleString());
        }
        this.encoded = image.equals(DataTypes.BinaryType);
        boolean floats = image instanceof ArrayType a
                && (a.elementType().equals(DataTypes.FloatType) || a.elementType().equals(DataTypes.DoubleType));
        if (!encoded && !floats) {
            throw GibbonException.data(location + ": column '" + spec.imageColumn()
                    + "' must be binary (PNG/JPEG) or an array of floats, found " + image.simpleString());
        }
        this.table = raw.select(col(spec.idColumn()).cast("long"), col(spec.labelColumn()).cast("int"),
                encoded ? col(spec.imageColumn()) : col(spec.imageColumn()).cast("array<float>"));
        Row stats = table.selectExpr("count(*)", "min(" + quote(table.columns()[1]) + ")",
                "max(" + quote(table.columns()[1]) + ")").first();
        this.size = stats.getLong(0);
        if (size == 0) {
            throw GibbonException.data(location + ": holds no rows");
        }
        this.labelRange = new int[] {stats.getInt(1), stats.getInt(2)};
    }

    private static String quote(String column) {
        return "`" + column.replace("`", "``") + "`";
    }

    private DataType column(Dataset<Row> raw, String name, String key) {
        for (var field : raw.schema().fields()) {
            if (field.name().equals(name)) {
                return field.dataType();
            }
        }
        throw GibbonException.data(location + ": no column '" + name + "' (" + key + "); columns: "
                + String.join(", ", raw.columns()));
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public String uri() {
        return location;
    }

    @Override
    public int[] shape() {
        return null;
    }

    @Override
    public int[] labelRange() {
        return labelRange;
    }

    @Override
    public Dataset<Row> rows(SparkSession spark, long n, int partitions) {
        Dataset<Row> selected = n < size ? table.orderBy(col(table.columns()[0])).limit((int) n) : table;
        return selected.repartition(partitions).mapPartitions(new Convert(location, encoded, inputShape),
                Encoders.row(SCHEMA));
    }

    /** Turns table rows into example rows: decodes images or checks float arrays. */
    private record Convert(String location, boolean encoded, int[] shape) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            int size = shape[0] * shape[1] * shape[2];
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row r = rows.next();
                    long id = r.getLong(0);
                    String source = location + " row id " + id;
                    if (r.isNullAt(2)) {
                        throw GibbonException.data(source + ": the image is null");
                    }
                    if (encoded) {
                        return RowFactory.create(id, r.getInt(1), ImageDecoder.decode((byte[]) r.get(2), shape[0], shape[1],
                                shape[2], source), null);
                    }
                    List<Float> values = r.getList(2);
                    if (values.size() != size) {
                        throw GibbonException.data(source + ": " + values.size() + " values, the model's input "
                                + java.util.Arrays.toString(shape) + " needs " + size);
                    }
                    for (Float v : values) {
                        if (v == null || !(v >= 0f && v <= 1f)) {
                            throw GibbonException.data(source + ": value " + v + " outside [0, 1]");
                        }
                    }
                    // Row encoders take Scala sequences for array columns.
                    return RowFactory.create(id, r.getInt(1), null,
                            CollectionConverters.asScala(new java.util.ArrayList<>(values)).toSeq());
                }
            };
        }
    }
}
