package gibbon.cli;

import gibbon.GibbonException;
import gibbon.jobs.TableMaintenance;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gibbon maintain}: keeps the result tables healthy over thousands of runs
 * ({@link TableMaintenance}) and prints, per table, the files, bytes, snapshots and metadata files
 * before and after. Rows never change: every query answers the same before and after.
 */
@Command(name = "maintain", mixinStandardHelpOptions = true, description = {
    "Expire old snapshots, remove orphan files, clear staged rows no run will publish and compact small files"
            + " of the result tables, with Iceberg's procedures; every query answers the same rows afterwards.",
    "Orphan files (written by commits that never happened) are removed only when older than the retention and"
            + " than 3 days, Iceberg's safety margin for commits in flight."})
final class MaintainCommand implements Callable<Integer> {
    private static final Pattern DURATION = Pattern.compile("(\\d+)([dhms])");

    @Option(names = "--retention", defaultValue = "7d", paramLabel = "DURATION",
            description = "Keep the snapshots of this last span for time travel: a number and d, h, m or s, e.g. 7d or 12h"
                    + " (default: ${DEFAULT-VALUE}); each table's newest snapshot always stays.")
    String retention;

    @Option(names = "--dry-run", description = "Change nothing; report what would go.")
    boolean dryRun;

    @Mixin
    ResultTablesOptions results;

    @Override
    public Integer call() {
        Instant now = Instant.now();
        Duration kept = parseRetention(retention);
        ResultTablesOptions.Opened opened = results.open();
        TableMaintenance.Report report = new TableMaintenance(opened.spark(), opened.config()).run(now, kept, dryRun);
        System.out.print(render(report, opened.config().catalog() + "." + opened.config().namespace(), retention));
        System.out.flush();
        return 0;
    }

    /** A retention such as {@code 7d}, {@code 12h}, {@code 30m} or {@code 90s}. */
    static Duration parseRetention(String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw GibbonException.config("--retention " + text + ": not a duration; give a number and d, h, m or s,"
                    + " e.g. 7d or 12h");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw GibbonException.config("--retention " + text + ": too long");
        }
        return switch (m.group(2)) {
            case "d" -> Duration.ofDays(n);
            case "h" -> Duration.ofHours(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** What maintenance did (or would do), then one row per table: before -> after. */
    static String render(TableMaintenance.Report r, String namespace, String retention) {
        StringBuilder out = new StringBuilder();
        String verb = r.dryRun() ? "would " : "";
        out.append(String.format(Locale.ROOT, "maintain %s%s: snapshots committed before %s (retention %s) %sexpire;"
                + " orphan files older than %s (the retention, and at least 3 days: Iceberg's margin for commits in"
                + " flight) %sgo%n", namespace, r.dryRun() ? " (dry run: nothing changed)" : "", r.snapshotsBefore(),
                retention, verb, r.orphansBefore(), verb));
        out.append(String.format(Locale.ROOT, "staged rows of %d run(s) no run will publish %s%s%n",
                r.staleStagingRuns().size(), r.dryRun() ? "would be cleared" : "cleared",
                r.staleStagingRuns().isEmpty() ? "" : ": " + String.join(", ", r.staleStagingRuns())));
        if (r.dryRun()) {
            out.append(String.format(Locale.ROOT, "%d snapshot(s) would expire, %d orphan file(s) would go;"
                    + " compaction is not planned in a dry run%n", r.expiredSnapshots(), r.orphanFiles()));
        } else {
            out.append(String.format(Locale.ROOT, "compacted %d small data file(s) into %d; expired %d snapshot(s);"
                    + " removed %d orphan file(s)%n", r.rewrittenDataFiles(), r.addedDataFiles(), r.expiredSnapshots(),
                    r.orphanFiles()));
        }
        String format = "%-22s %-16s %-24s %-14s %s%n";
        out.append(String.format(Locale.ROOT, format, "table", "data files", "data bytes", "snapshots", "metadata files"));
        for (TableMaintenance.TableFigures t : r.tables()) {
            TableMaintenance.Figures b = t.before();
            TableMaintenance.Figures a = t.after();
            out.append(String.format(Locale.ROOT, format, t.table(), b.dataFiles() + " -> " + a.dataFiles(),
                    bytes(b.dataBytes()) + " -> " + bytes(a.dataBytes()), b.snapshots() + " -> " + a.snapshots(),
                    b.metadataFiles() + " -> " + a.metadataFiles()));
        }
        return out.toString();
    }

    private static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
