package gibbon.jobs;

import java.util.Arrays;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One row of a result table, filled by column name against the table's schema in
 * {@link ResultTables}: Spark rows are positional, and this keeps the positions in that one schema
 * definition. A column the schema does not have fails at once; {@link #build()} fails on a
 * non-nullable column left without a value. Columns not set are null.
 */
final class TableRow {
    private final StructType schema;
    private final Object[] values;

    TableRow(StructType schema) {
        this.schema = schema;
        this.values = new Object[schema.length()];
    }

    /** A row to change a few columns of: starts with the values of {@code row}, laid out by {@code schema}. */
    static TableRow copyOf(StructType schema, Row row) {
        if (row.length() != schema.length()) {
            throw new IllegalArgumentException("a row of " + row.length() + " values does not fit the "
                    + schema.length() + " columns " + Arrays.toString(schema.fieldNames()));
        }
        TableRow copy = new TableRow(schema);
        for (int i = 0; i < copy.values.length; i++) {
            copy.values[i] = row.get(i);
        }
        return copy;
    }

    /** Sets a column's value; null leaves it null. */
    TableRow set(String column, Object value) {
        scala.Option<Object> index = schema.getFieldIndex(column);
        if (index.isEmpty()) {
            throw new IllegalArgumentException("no column '" + column + "' in " + Arrays.toString(schema.fieldNames()));
        }
        values[(Integer) index.get()] = value;
        return this;
    }

    /** The row, its values in the schema's order. */
    Row build() {
        StructField[] fields = schema.fields();
        for (int i = 0; i < fields.length; i++) {
            if (values[i] == null && !fields[i].nullable()) {
                throw new IllegalStateException("column '" + fields[i].name() + "' is not nullable and has no value");
            }
        }
        return RowFactory.create(values.clone());
    }
}
