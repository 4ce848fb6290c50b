package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.jobs.ResultTables;
import gibbon.jobs.TableMaintenance;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.NoSuchTableException;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gibbon maintain} on real runs through the command line: a run id run twice, a run whose
 * driver died after staging its first attack unit (never rerun), one that died and was rerun, a
 * last run within the retention, and two stray files in the predictions table's folder, one older than Iceberg's 3-day margin.
 * A dry run changes no file; maintenance then leaves only the files the kept snapshots reach, only
 * the snapshots of the retention, no staged rows of dead runs, and every query answering the same.
 */
class MaintainTest {
    @TempDir
    static Path dir;
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final String CATALOG = "maintaintest";
    private static final Pattern RUN_ID = Pattern.compile("(?m)^run: (\\S+)$");
    /** Queries whose answers maintenance must not change: every result table and analyst view. */
    private static final List<String> QUERIES = Stream.concat(ResultTables.ALL.stream(),
            Stream.of("robustness_curve", "latest_summary", "class_robustness", "leaderboard")).toList();

    private static Path config() throws IOException {
        Path file = dir.resolve("maintain.conf");
        Files.writeString(file, String.join("\n",
                "dataset {",
                "  images = \"" + ROOT.resolve("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz") + "\"",
                "  labels = \"" + ROOT.resolve("bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz") + "\"",
                "  limit = 20",
                "}",
                "model.uri = \"" + ROOT.resolve("bundled/models/fashion-cnn") + "\"",
                // Two attack units, so that the first is staged in pending_predictions before publishing.
                "attacks { fgsm { epsilons = [0, 0.1] }, noise { epsilons = [0.1] } }",
                "output.adversarial-fraction = 0.2",
                "spark.master = \"local[2]\"",
                "output.warehouse = \"" + dir.resolve("warehouse") + "\"",
                // A catalog of its own: the JVM's one session keeps the catalogs other test classes opened.
                "output.catalog = " + CATALOG,
                ""));
        return file;
    }

    private static String run(Path config, String... extra) {
        CommandResult r = CommandResult.run(Stream.concat(Stream.of("run", config.toString()), Stream.of(extra))
                .toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        Matcher m = RUN_ID.matcher(r.out());
        assertTrue(m.find(), r.out());
        return m.group(1);
    }

    private static String table(String name) {
        return CATALOG + ".robustness." + name;
    }

    /**
     * What a driver killed after its first attack unit leaves: its {@code running} row and that
     * unit's staged rows (here a copy of a finished run's rows under the dead run's id).
     */
    private static void interruptedRun(SparkSession spark, String from, String id, Instant startedAt)
            throws NoSuchTableException {
        spark.table(table("runs")).where("run_id = '" + from + "'")
                .withColumn("run_id", functions.lit(id))
                .withColumn("status", functions.lit("running"))
                .withColumn("started_at", functions.lit(Timestamp.from(startedAt)))
                .withColumn("finished_at", functions.lit(null).cast("timestamp"))
                .writeTo(table("runs")).append();
        spark.table(table("predictions")).where("run_id = '" + from + "' AND attack = 'fgsm'")
                .withColumn("run_id", functions.lit(id))
                .withColumn("adversarial", functions.lit(null).cast("array<float>"))
                .writeTo(table("pending_predictions")).append();
    }

    /** Each query's row count and an order-free checksum of its rows, through {@code gibbon sql}: one line each. */
    private static List<String> answers(Path config) {
        CommandResult r = CommandResult.run("sql", QUERIES.stream()
                .map(q -> "SELECT '" + q + "', count(*), sum(cast(xxhash64(*) AS DECIMAL(38, 0))) FROM " + q)
                .collect(Collectors.joining(" UNION ALL ")), "--config", config.toString(), "--format", "csv");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().skip(1).sorted().toList();
        assertEquals(QUERIES.size(), lines.size(), r.out());
        return lines;
    }

    /** Every file under the warehouse with its size and modification time. */
    private static Map<Path, String> files() throws IOException {
        try (Stream<Path> walk = Files.walk(dir.resolve("warehouse"))) {
            Map<Path, String> files = new TreeMap<>();
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(p, Files.size(p) + " " + Files.getLastModifiedTime(p));
            }
            return files;
        }
    }

    /** The data files on disk under a table's folder. */
    private static Set<String> dataFilesOnDisk(String name) throws IOException {
        Path data = dir.resolve("warehouse/robustness/" + name + "/data");
        if (!Files.exists(data)) {
            return new TreeSet<>();
        }
        try (Stream<Path> walk = Files.walk(data)) {
            return walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .map(p -> p.toAbsolutePath().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** The data files some snapshot of a table reaches (Iceberg's all_data_files metadata table). */
    private static Set<String> dataFilesOfSnapshots(SparkSession spark, String name) {
        return spark.sql("SELECT DISTINCT file_path FROM " + table(name) + ".all_data_files").collectAsList().stream()
                .map(r -> URI.create(r.getString(0)).getPath()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<Row> snapshots(SparkSession spark, String name) {
        return spark.sql("SELECT snapshot_id, committed_at FROM " + table(name) + ".snapshots").collectAsList();
    }

    @Test
    void maintenanceDropsWhatNoSnapshotKeepsAndNoRow() throws Exception {
        Path config = config();
        run(config, "--run-id", "twice");
        run(config, "--run-id", "twice");
        SparkSession spark = SparkSession.active();
        interruptedRun(spark, "twice", "died-long-ago", Instant.now().minus(Duration.ofDays(10)));
        interruptedRun(spark, "twice", "died-and-rerun", Instant.now().minus(Duration.ofDays(10)));
        run(config, "--run-id", "died-and-rerun");
        assertEquals(0, spark.sql("SELECT * FROM " + table("pending_predictions") + " WHERE run_id = 'died-and-rerun'")
                .count(), "a rerun clears the staged rows of its id");

        // Files that writes left behind without committing them: one older than Iceberg's margin, one fresh.
        Path partition = Path.of(URI.create(spark.sql("SELECT file_path FROM " + table("predictions") + ".files LIMIT 1")
                .first().getString(0)).getPath());
        Path oldOrphan = partition.resolveSibling("00000-0-never-committed-old.parquet");
        Path newOrphan = partition.resolveSibling("00000-0-never-committed-new.parquet");
        Files.copy(partition, oldOrphan);
        Files.copy(partition, newOrphan);
        Files.setLastModifiedTime(oldOrphan, FileTime.from(Instant.now().minus(Duration.ofDays(4))));

        // Everything before this moment is older than the retention given below; the last run is within it.
        Instant retentionStart = Instant.now();
        Thread.sleep(3000);
        run(config);
        Map<String, List<Row>> recentSnapshots = new TreeMap<>();
        for (String t : TableMaintenance.TABLES) {
            recentSnapshots.put(t, snapshots(spark, t).stream()
                    .filter(r -> r.getTimestamp(1).toInstant().isAfter(retentionStart)).toList());
        }
        assertFalse(recentSnapshots.get("predictions").isEmpty());
        List<String> before = answers(config);
        assertTrue(before.stream().anyMatch(l -> l.startsWith("runs,4,")), "four runs: " + before);

        Map<Path, String> filesBefore = files();
        CommandResult dry = CommandResult.run("maintain", "--config", config.toString(), "--retention",
                sinceRetentionStart(retentionStart), "--dry-run");
        assertEquals(0, dry.exitCode(), dry.err());
        assertTrue(dry.out().contains("dry run: nothing changed"), dry.out());
        assertTrue(dry.out().contains("staged rows of 1 run(s) no run will publish would be cleared: died-long-ago"),
                dry.out());
        assertEquals(filesBefore, files(), "a dry run changes no file");
        assertEquals(before, answers(config));

        CommandResult r = CommandResult.run("maintain", "--config", config.toString(), "--retention",
                sinceRetentionStart(retentionStart));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("staged rows of 1 run(s) no run will publish cleared: died-long-ago"), r.out());
        assertEquals(before, answers(config), "every query answers the same rows");
        assertEquals(0, spark.sql("SELECT * FROM " + table("pending_predictions")).count(), "no staged rows are left");

        assertFalse(Files.exists(oldOrphan), "an orphan older than 3 days is removed");
        assertTrue(Files.exists(newOrphan), "a younger one may belong to a commit in flight: it stays");
        for (String t : TableMaintenance.TABLES) {
            Set<String> onDisk = dataFilesOnDisk(t);
            onDisk.remove(newOrphan.toString());
            assertEquals(dataFilesOfSnapshots(spark, t), onDisk, t + ": the data files on disk are those of its snapshots");
            List<Row> kept = snapshots(spark, t);
            Set<Long> keptIds = kept.stream().map(row -> row.getLong(0)).collect(Collectors.toSet());
            for (Row recent : recentSnapshots.get(t)) {
                assertTrue(keptIds.contains(recent.getLong(0)), t + ": snapshots within the retention stay");
            }
            long older = kept.stream().filter(row -> !row.getTimestamp(1).toInstant().isAfter(retentionStart)).count();
            assertTrue(older <= 1, t + ": of the snapshots older than the retention only the current one may stay");
        }
        assertTrue(r.out().matches("(?s).*\\npredictions +\\d+ -> \\d+ .*"), r.out());
    }

    /** A retention that reaches back to {@code start}, to the second (rounded down, so not before it). */
    private static String sinceRetentionStart(Instant start) {
        return Duration.between(start, Instant.now()).toSeconds() + "s";
    }

    @Test
    void badInputFailsInOneLineWithExitTwo() throws IOException {
        Path config = config();
        CommandResult badRetention = CommandResult.run("maintain", "--config", config.toString(), "--retention", "7x");
        assertEquals(2, badRetention.exitCode());
        assertEquals("gibbon: error: --retention 7x: not a duration; give a number and d, h, m or s, e.g. 7d or 12h\n",
                badRetention.err());
        CommandResult noConfig = CommandResult.run("maintain", "--config", dir.resolve("nowhere.conf").toString());
        assertEquals(2, noConfig.exitCode());
        assertEquals(1, noConfig.err().lines().count(), noConfig.err());
    }
}
