package gibbon.jobs;

import gibbon.config.ExperimentConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.ManifestContent;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.spark.Spark3Util;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Keeps the result tables' storage in proportion to their rows, with Iceberg's own procedures:
 * clears staged rows no run will publish, compacts each run's small data files
 * ({@code rewrite_data_files}) and manifests ({@code rewrite_manifests}), expires snapshots older
 * than the retention ({@code expire_snapshots}, which deletes the files only they reached: a
 * rerun's replaced files, deleted staging) and removes files no snapshot knows
 * ({@code remove_orphan_files}: the output of writes that never committed). Metadata files stop
 * piling up through the table properties {@link #METADATA_PROPERTIES}. Never run implicitly: only
 * {@code gibbon maintain} calls it.
 */
public final class TableMaintenance {
    /**
     * Iceberg's own default for {@code remove_orphan_files}: a file younger than this may belong to
     * a commit still in flight (a run writes its files minutes before it commits them), so it is
     * never removed, whatever the retention.
     */
    public static final Duration ORPHAN_MARGIN = Duration.ofDays(3);

    /**
     * Old metadata files beyond the newest 20 are deleted at each commit (Iceberg keeps them all
     * by default: one per commit, a run makes several per table).
     */
    public static final Map<String, String> METADATA_PROPERTIES = Map.of(
            TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
            TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "20");

    /** {@link #METADATA_PROPERTIES} as a TBLPROPERTIES list: {@code 'key' = 'value', ...}. */
    static String metadataProperties() {
        return METADATA_PROPERTIES.entrySet().stream().map(e -> "'" + e.getKey() + "' = '" + e.getValue() + "'").sorted()
                .collect(Collectors.joining(", "));
    }

    /** The tables maintained: the result tables and the staging table. */
    public static final List<String> TABLES = Stream.concat(ResultTables.ALL.stream(),
            Stream.of(ResultTables.PENDING_PREDICTIONS)).toList();

    /** What a table holds on storage: data files and their bytes, snapshots, files under metadata/. */
    public record Figures(long dataFiles, long dataBytes, long snapshots, long metadataFiles) {}

    /** One table's figures before maintenance and after it (in a dry run: as they would be). */
    public record TableFigures(String table, Figures before, Figures after) {}

    /**
     * What maintenance did or, in a dry run, would do.
     *
     * @param snapshotsBefore the cutoff of snapshot expiry (the newest snapshot of a table always stays)
     * @param orphansBefore the cutoff of orphan removal: the retention's, or {@link #ORPHAN_MARGIN} if earlier
     * @param staleStagingRuns runs whose staged rows were cleared
     * @param rewrittenDataFiles small data files compacted (none in a dry run)
     * @param addedDataFiles the files they became
     * @param expiredSnapshots snapshots expired
     * @param orphanFiles files no snapshot referenced, removed
     */
    public record Report(boolean dryRun, Instant snapshotsBefore, Instant orphansBefore, List<String> staleStagingRuns,
            long rewrittenDataFiles, long addedDataFiles, long expiredSnapshots, long orphanFiles,
            List<TableFigures> tables) {}

    private final SparkSession spark;
    private final ResultTables tables;
    private final String catalog;

    public TableMaintenance(SparkSession spark, ExperimentConfig config) {
        this.spark = spark;
        this.tables = new ResultTables(spark, config);
        this.catalog = config.catalog();
    }

    /**
     * Maintains every table; with {@code dryRun} it changes nothing and reports what would go.
     *
     * @param now the moment the retention reaches back from (when the command started)
     */
    public Report run(Instant now, Duration retention, boolean dryRun) {
        Instant snapshotsBefore = now.minus(retention);
        Instant orphansBefore = now.minus(retention.compareTo(ORPHAN_MARGIN) > 0 ? retention : ORPHAN_MARGIN);
        List<Figures> before = TABLES.stream().map(this::figures).toList();
        List<String> stale = staleStagingRuns(snapshotsBefore, orphansBefore);
        long rewritten = 0;
        long added = 0;
        long expired = 0;
        long orphans = 0;
        List<TableFigures> figures = new ArrayList<>();
        if (dryRun) {
            for (int i = 0; i < TABLES.size(); i++) {
                String table = TABLES.get(i);
                Set<String> orphanFiles = orphanFiles(table, orphansBefore, true);
                Expiry expiry = expiry(table, snapshotsBefore);
                orphans += orphanFiles.size();
                expired += expiry.snapshots();
                figures.add(new TableFigures(table, before.get(i), wouldRemain(table, before.get(i), expiry, orphanFiles)));
            }
        } else {
            TABLES.forEach(this::setMetadataProperties);
            if (!stale.isEmpty()) {
                spark.sql("DELETE FROM " + tables.name(ResultTables.PENDING_PREDICTIONS) + " WHERE run_id IN ("
                        + stale.stream().map(id -> "'" + id.replace("'", "''") + "'").collect(Collectors.joining(", "))
                        + ")");
            }
            for (String table : TABLES) {
                // Staging is cleared, not compacted: its rows live only until their run publishes.
                if (!table.equals(ResultTables.PENDING_PREDICTIONS) && icebergTable(table).currentSnapshot() != null) {
                    Row r = call("rewrite_data_files", table, "options => map('min-input-files', '2')").get(0);
                    rewritten += r.<Number>getAs("rewritten_data_files_count").longValue();
                    added += r.<Number>getAs("added_data_files_count").longValue();
                    call("rewrite_manifests", table, null);
                }
            }
            for (int i = 0; i < TABLES.size(); i++) {
                String table = TABLES.get(i);
                long snapshots = figures(table).snapshots();
                if (snapshots > 1) {
                    call("expire_snapshots", table, "older_than => " + timestamp(snapshotsBefore) + ", retain_last => 1");
                    expired += snapshots - figures(table).snapshots();
                }
                orphans += orphanFiles(table, orphansBefore, false).size();
                figures.add(new TableFigures(table, before.get(i), figures(table)));
            }
        }
        return new Report(dryRun, snapshotsBefore, orphansBefore, stale, rewritten, added, expired, orphans, figures);
    }

    /**
     * Runs whose staged rows nothing will publish: runs that ended (succeeded or failed) and
     * started before the retention (a failed run within it may still be resumed), and runs still
     * marked running that started before the orphan cutoff (a driver that died; a live run never
     * lasts that long). Staged rows of a run not yet in {@code runs} are kept: a run records itself
     * beside its first attack unit.
     */
    private List<String> staleStagingRuns(Instant snapshotsBefore, Instant orphansBefore) {
        return spark.sql("SELECT DISTINCT p.run_id FROM " + tables.name(ResultTables.PENDING_PREDICTIONS) + " p JOIN "
                + tables.name(ResultTables.RUNS) + " r ON p.run_id = r.run_id"
                + " WHERE (r.status IN ('succeeded', 'failed') AND r.started_at < " + timestamp(snapshotsBefore) + ")"
                + " OR (r.status = 'running' AND r.started_at < " + timestamp(orphansBefore) + ") ORDER BY p.run_id")
                .collectAsList().stream().map(r -> r.getString(0)).toList();
    }

    private void setMetadataProperties(String table) {
        Map<String, String> current = icebergTable(table).properties();
        if (METADATA_PROPERTIES.entrySet().stream().anyMatch(e -> !e.getValue().equals(current.get(e.getKey())))) {
            spark.sql("ALTER TABLE " + tables.name(table) + " SET TBLPROPERTIES (" + metadataProperties() + ")");
        }
    }

    /** The files {@code remove_orphan_files} removes, or in a dry run would remove (same listing, same rules). */
    private Set<String> orphanFiles(String table, Instant before, boolean dryRun) {
        return call("remove_orphan_files", table, "older_than => " + timestamp(before) + ", dry_run => " + dryRun)
                .stream().map(r -> withoutScheme(r.getString(0))).collect(Collectors.toSet());
    }

    /** What expiring a table's snapshots would drop: how many, and the files only they reach. */
    private record Expiry(long snapshots, Set<String> files) {}

    private Expiry expiry(String table, Instant before) {
        Table t = icebergTable(table);
        if (t.currentSnapshot() == null) {
            return new Expiry(0, Set.of());
        }
        // apply() plans the expiry as expire_snapshots would, without committing it, and names the snapshots it drops.
        Set<Long> expired = t.expireSnapshots().expireOlderThan(before.toEpochMilli()).retainLast(1).apply().stream()
                .map(Snapshot::snapshotId).collect(Collectors.toSet());
        List<Snapshot> kept = new ArrayList<>();
        t.snapshots().forEach(s -> {
            if (!expired.contains(s.snapshotId())) {
                kept.add(s);
            }
        });
        Set<String> gone = reachable(t, t.snapshots());
        gone.removeAll(reachable(t, kept));
        return new Expiry(expired.size(), gone);
    }

    /** Every file the snapshots reach: manifest lists, manifests, and the data and delete files live in them. */
    private static Set<String> reachable(Table table, Iterable<Snapshot> snapshots) {
        Set<String> files = new HashSet<>();
        Set<String> manifests = new HashSet<>();
        for (Snapshot s : snapshots) {
            files.add(withoutScheme(s.manifestListLocation()));
            for (ManifestFile m : s.allManifests(table.io())) {
                if (!manifests.add(m.path())) {
                    continue;
                }
                files.add(withoutScheme(m.path()));
                try (CloseableIterable<? extends ContentFile<?>> entries = m.content() == ManifestContent.DATA
                        ? ManifestFiles.read(m, table.io(), table.specs())
                        : ManifestFiles.readDeleteManifest(m, table.io(), table.specs())) {
                    entries.forEach(f -> files.add(withoutScheme(f.location())));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return files;
    }

    /** A dry run's figures after: what stays on storage once expiry and orphan removal took their files. */
    private Figures wouldRemain(String table, Figures before, Expiry expiry, Set<String> orphans) {
        long dataFiles = 0;
        long dataBytes = 0;
        long metadataFiles = 0;
        for (LocatedFileStatus f : listing(table)) {
            String path = withoutScheme(f.getPath().toString());
            if (expiry.files().contains(path) || orphans.contains(path)) {
                continue;
            }
            if (isData(table, f)) {
                dataFiles++;
                dataBytes += f.getLen();
            } else {
                metadataFiles++;
            }
        }
        return new Figures(dataFiles, dataBytes, before.snapshots() - expiry.snapshots(), metadataFiles);
    }

    /** A table's figures as they are on storage now. */
    public Figures figures(String table) {
        Table t = icebergTable(table);
        long dataFiles = 0;
        long dataBytes = 0;
        long metadataFiles = 0;
        for (LocatedFileStatus f : listing(table)) {
            if (isData(table, f)) {
                dataFiles++;
                dataBytes += f.getLen();
            } else {
                metadataFiles++;
            }
        }
        long snapshots = 0;
        for (Snapshot ignored : t.snapshots()) {
            snapshots++;
        }
        return new Figures(dataFiles, dataBytes, snapshots, metadataFiles);
    }

    private boolean isData(String table, LocatedFileStatus f) {
        return !withoutScheme(f.getPath().toString()).startsWith(withoutScheme(icebergTable(table).location()) + "/metadata/");
    }

    /** Every file under a table's location, as remove_orphan_files lists it (Hadoop's file system). */
    private List<LocatedFileStatus> listing(String table) {
        Path location = new Path(icebergTable(table).location());
        List<LocatedFileStatus> files = new ArrayList<>();
        try {
            FileSystem fs = location.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(location)) {
                return files;
            }
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(location, true);
            while (it.hasNext()) {
                files.add(it.next());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    private Table icebergTable(String table) {
        try {
            Table t = Spark3Util.loadIcebergTable(spark, tables.name(table));
            t.refresh();
            return t;
        } catch (Exception e) {
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    /** Calls one of Iceberg's procedures on a table; {@code arguments} follow the table's, or null. */
    private List<Row> call(String procedure, String table, String arguments) {
        // The table's full name: a name without its catalog makes Iceberg log a failed catalog lookup first.
        return spark.sql("CALL " + catalog + ".system." + procedure + "(table => '" + tables.name(table) + "'"
                + (arguments == null ? "" : ", " + arguments) + ")").collectAsList();
    }

    /** A timestamp literal with its zone, so that it means the same instant in any session time zone. */
    private static String timestamp(Instant instant) {
        return "TIMESTAMP '" + instant.truncatedTo(ChronoUnit.MILLIS) + "'";
    }

    /** A location without its scheme: Iceberg may record {@code file:/x} where Hadoop lists {@code file:/x} or {@code /x}. */
    private static String withoutScheme(String location) {
        URI uri = new Path(location).toUri();
        return (uri.getAuthority() == null ? "" : "//" + uri.getAuthority()) + uri.getPath();
    }
}
