package gibbon.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.GibbonException;
import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.QueryPlanningTracker;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-only rule against every statement form that changes a catalog: each Iceberg procedure,
 * DML, DDL and session-level command that touches storage, parsed by the same session (Iceberg's
 * SQL extensions included) that {@code gibbon sql} uses. The end-to-end refusal, with the table's
 * snapshots counted before and after, is in {@code ReportTest}.
 */
class ReadOnlyStatementsTest {
    @TempDir
    static Path warehouse;
    private static SparkSession spark;

    /** Every Iceberg 1.11 Spark procedure, each with plausible arguments. */
    static final List<String> PROCEDURES = List.of(
            "CALL gibbon.system.expire_snapshots(table => 'robustness.runs', retain_last => 1,"
                    + " older_than => TIMESTAMP '2100-01-01 00:00:00')",
            "CALL gibbon.system.remove_orphan_files(table => 'robustness.runs')",
            "CALL gibbon.system.rewrite_data_files('robustness.predictions')",
            "CALL gibbon.system.rewrite_manifests('robustness.runs')",
            "CALL gibbon.system.rewrite_position_delete_files('robustness.runs')",
            "CALL gibbon.system.rollback_to_snapshot('robustness.runs', 1)",
            "CALL gibbon.system.rollback_to_timestamp('robustness.runs', TIMESTAMP '2020-01-01 00:00:00')",
            "CALL gibbon.system.set_current_snapshot('robustness.runs', 1)",
            "CALL gibbon.system.cherrypick_snapshot('robustness.runs', 1)",
            "CALL gibbon.system.publish_changes('robustness.runs', 'wap-id')",
            "CALL gibbon.system.fast_forward('robustness.runs', 'main', 'audit')",
            "CALL gibbon.system.snapshot('robustness.runs', 'robustness.runs_copy')",
            "CALL gibbon.system.migrate('spark_catalog.db.t')",
            "CALL gibbon.system.add_files(table => 'robustness.runs', source_table => '`parquet`.`/tmp/x`')",
            "CALL gibbon.system.register_table('robustness.copy', '/tmp/metadata.json')",
            "CALL gibbon.system.ancestors_of('robustness.runs')",
            "CALL gibbon.system.create_changelog_view(table => 'robustness.runs')",
            "CALL gibbon.system.compute_table_stats('robustness.runs')",
            "CALL gibbon.system.compute_partition_stats('robustness.runs')",
            "CALL gibbon.system.rewrite_table_path(table => 'robustness.runs', source_prefix => 'a', target_prefix => 'b')",
            "call system.expire_snapshots('robustness.runs')");

    /** DML, DDL and commands with effects beyond the session. */
    static final List<String> CHANGES = List.of(
            "INSERT INTO runs SELECT * FROM runs",
            "INSERT OVERWRITE runs SELECT * FROM runs",
            "WITH r AS (SELECT * FROM runs) INSERT INTO runs SELECT * FROM r",
            "FROM runs INSERT INTO runs SELECT *",
            "DELETE FROM predictions WHERE run_id = 'x'",
            "UPDATE runs SET status = 'x'",
            "MERGE INTO runs t USING runs s ON t.run_id = s.run_id WHEN MATCHED THEN DELETE",
            "TRUNCATE TABLE runs",
            "DROP TABLE runs",
            "DROP TABLE IF EXISTS runs PURGE",
            "DROP VIEW robustness_curve",
            "DROP NAMESPACE robustness CASCADE",
            "CREATE TABLE copy (id INT)",
            "CREATE TABLE copy AS SELECT * FROM runs",
            "CREATE OR REPLACE TABLE runs AS SELECT * FROM runs",
            "REPLACE TABLE runs AS SELECT * FROM runs",
            "CREATE VIEW v AS SELECT * FROM runs",
            "CREATE NAMESPACE other",
            "ALTER TABLE runs ADD COLUMN x INT",
            "ALTER TABLE runs DROP COLUMN status",
            "ALTER TABLE runs RENAME TO runs2",
            "ALTER TABLE runs SET TBLPROPERTIES ('history.expire.max-snapshot-age-ms' = '1')",
            "ALTER TABLE runs UNSET TBLPROPERTIES ('format-version')",
            "ALTER TABLE runs CREATE BRANCH audit",
            "ALTER TABLE runs DROP BRANCH audit",
            "ALTER TABLE runs CREATE TAG t1",
            "ALTER TABLE runs REPLACE BRANCH main AS OF VERSION 1",
            "ALTER TABLE runs WRITE ORDERED BY run_id",
            "ALTER TABLE runs ADD PARTITION FIELD status",
            "ALTER TABLE runs SET IDENTIFIER FIELDS run_id",
            "ALTER NAMESPACE robustness SET PROPERTIES ('a' = 'b')",
            "COMMENT ON TABLE runs IS 'x'",
            "REFRESH TABLE runs",
            "CACHE TABLE runs",
            "UNCACHE TABLE runs",
            "ANALYZE TABLE runs COMPUTE STATISTICS",
            "MSCK REPAIR TABLE runs",
            "ADD JAR /tmp/x.jar",
            "LOAD DATA LOCAL INPATH '/tmp/x' INTO TABLE runs",
            "CREATE FUNCTION f AS 'x.Y'",
            "DROP FUNCTION f",
            "CREATE TEMP VIEW v AS SELECT * FROM runs; DROP TABLE runs");

    /** What an analyst reads with. */
    static final List<String> READS = List.of(
            "SELECT * FROM runs",
            "select run_id from runs where status = 'succeeded' order by run_id limit 3",
            "WITH r AS (SELECT * FROM runs) SELECT count(*) FROM r",
            "VALUES (1, 2)",
            "TABLE runs",
            "SELECT * FROM runs.snapshots",
            "SELECT * FROM gibbon.robustness.predictions.files",
            "SELECT * FROM runs VERSION AS OF 1",
            "SELECT * FROM (SELECT run_id FROM runs) t JOIN summary s ON t.run_id = s.run_id",
            "SHOW TABLES",
            "SHOW TBLPROPERTIES runs",
            "SHOW CREATE TABLE runs",
            "DESCRIBE runs",
            "DESCRIBE EXTENDED runs",
            "EXPLAIN SELECT * FROM runs",
            "USE gibbon.robustness",
            "SET spark.sql.shuffle.partitions",
            "CREATE TEMP VIEW mine AS SELECT * FROM runs",
            "CREATE OR REPLACE TEMPORARY VIEW mine AS SELECT 1");

    /** Changes whose analyzed plans the plan rule must refuse, as gibbon serve meets DataFrame writes. */
    static final List<String> ANALYZED_CHANGES = List.of(
            "INSERT INTO runs SELECT * FROM runs",
            "INSERT OVERWRITE runs SELECT * FROM runs",
            "DELETE FROM predictions WHERE run_id = 'x'",
            "CREATE TABLE copy AS SELECT * FROM runs",
            "DROP TABLE runs",
            "ALTER TABLE runs ADD COLUMN x INT",
            "CREATE VIEW v AS SELECT * FROM runs",
            "CACHE TABLE runs",
            "REFRESH TABLE runs");

    @BeforeAll
    static void session() {
        ExperimentConfig config = ConfigLoader.load(Path.of("conf/default.conf"), List.of("output.warehouse=" + warehouse));
        spark = GibbonSpark.session(config);
        // The tables, so that statements over them analyze.
        ResultTables.open(spark, config);
    }

    @Test
    void everyProcedureIsRefused() throws Exception {
        for (String sql : PROCEDURES) {
            assertFalse(ReadOnlyStatements.reads(spark, sql), sql);
        }
    }

    @Test
    void everyChangeIsRefused() throws Exception {
        for (String sql : CHANGES) {
            boolean refused;
            try {
                refused = !ReadOnlyStatements.reads(spark, sql);
            } catch (org.apache.spark.sql.catalyst.parser.ParseException e) {
                refused = true; // not SQL at all: it never runs
            }
            assertTrue(refused, sql);
        }
    }

    @Test
    void readsAreAllowed() throws Exception {
        for (String sql : READS) {
            assertTrue(ReadOnlyStatements.reads(spark, sql), sql);
        }
    }

    @Test
    void theAnalyzedPlansOfReadsPassThePlanRuleAndThoseOfChangesDoNot() throws Exception {
        int checked = 0;
        for (String sql : READS) {
            LogicalPlan plan;
            try {
                plan = analyzed(sql);
            } catch (AnalysisException | IllegalArgumentException e) {
                continue; // e.g. snapshot 1 does not exist here: such a statement never runs
            }
            ReadOnlyStatements.requireReading(plan);
            checked++;
        }
        assertTrue(checked >= READS.size() - 3, checked + " of " + READS.size() + " reads analyzed");
        for (String sql : ANALYZED_CHANGES) {
            LogicalPlan plan = analyzed(sql);
            GibbonException e = assertThrows(GibbonException.class, () -> ReadOnlyStatements.requireReading(plan), sql);
            assertTrue(e.getMessage().contains("would change the result tables"), e.getMessage());
        }
    }

    /** A statement's plan as the analyzer leaves it, before anything runs. */
    private static LogicalPlan analyzed(String sql) throws Exception {
        return spark.sessionState().analyzer().executeAndCheck(spark.sessionState().sqlParser().parsePlan(sql),
                new QueryPlanningTracker(scala.Option.empty()));
    }
}
