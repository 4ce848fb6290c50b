package gibbon.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import gibbon.metrics.RobustAccuracy;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Rows by column name: laid out by the table's schema, and failing fast on a wrong or missing column. */
class TableRowTest {
    @Test
    void valuesLandAtTheirColumnsWhateverTheOrderTheyAreSetIn() {
        Row row = new TableRow(ResultTables.SUMMARY_SCHEMA)
                .set("mean_confidence", 0.9).set("ci_high", 0.6).set("ci_low", 0.4).set("attack_success_rate", 0.5)
                .set("accuracy_drop", 0.4).set("clean_accuracy", 0.9).set("robust_accuracy", 0.5).set("correct", 5L)
                .set("n", 10L).set("epsilon", 0.1).set("norm", "linf").set("attack", "fgsm").set("run_id", "r")
                .build();
        assertEquals("r", row.getString(ResultTables.SUMMARY_SCHEMA.fieldIndex("run_id")));
        assertEquals(10L, row.getLong(ResultTables.SUMMARY_SCHEMA.fieldIndex("n")));
        assertEquals(0.9, row.getDouble(ResultTables.SUMMARY_SCHEMA.fieldIndex("mean_confidence")));
        assertEquals(ResultTables.SUMMARY_SCHEMA.length(), row.length());
    }

    @Test
    void anUnknownColumnFailsAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TableRow(ResultTables.SUMMARY_SCHEMA).set("robust_acc", 0.5));
        assertEquals("no column 'robust_acc' in [run_id, attack, norm, epsilon, n, correct, robust_accuracy,"
                + " clean_accuracy, accuracy_drop, attack_success_rate, ci_low, ci_high, mean_confidence]", e.getMessage());
    }

    @Test
    void aNonNullableColumnWithoutValueFailsTheRow() {
        TableRow row = new TableRow(ResultTables.RUNS_SCHEMA).set("run_id", "r");
        IllegalStateException e = assertThrows(IllegalStateException.class, row::build);
        assertEquals("column 'started_at' is not nullable and has no value", e.getMessage());
    }

    @Test
    void aCopyChangesOnlyTheColumnsSet() {
        RobustAccuracy s = RobustAccuracy.of("pgd", "linf", 0.05, 100, 40, 90, 50, 70.0);
        Row row = ResultTables.summaryRow("r", s);
        Row copy = TableRow.copyOf(ResultTables.SUMMARY_SCHEMA, row).set("attack", "bim").build();
        assertEquals("bim", copy.getString(ResultTables.SUMMARY_SCHEMA.fieldIndex("attack")));
        assertEquals("pgd", row.getString(ResultTables.SUMMARY_SCHEMA.fieldIndex("attack")));
        assertEquals(0.4, copy.getDouble(ResultTables.SUMMARY_SCHEMA.fieldIndex("robust_accuracy")));
        assertEquals(100L, copy.getLong(ResultTables.SUMMARY_SCHEMA.fieldIndex("n")));
    }

    @Test
    void nullableColumnsLeftUnsetAreNull() {
        Row pending = new TableRow(ResultTables.PENDING_SCHEMA).set("run_id", "r").set("example_id", 1L).set("label", 3)
                .set("attack", "fgsm").set("norm", "linf").set("epsilon", 0.0).set("predicted", 3).set("correct", true)
                .set("confidence", 0.9f).set("true_class_prob", 0.9f).set("linf", 0f).set("l2", 0f)
                .set("clean_correct", true).build();
        assertNull(pending.get(ResultTables.PENDING_SCHEMA.fieldIndex("min_epsilon")));
        assertNull(pending.get(ResultTables.PENDING_SCHEMA.fieldIndex("adversarial")));
    }
}
