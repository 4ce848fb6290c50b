package gibbon.report;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hides the local file system of the machine that made a report: a report is shared, and a path such
 * as {@code /home/ana/runs/warehouse} says nothing to its readers but where the author keeps files.
 * An absolute path (or {@code file:} URI) under the working folder becomes relative to it; any other
 * keeps its last two names behind "…/". Remote URIs ({@code hdfs://}, {@code s3a://}, JDBC) stay:
 * they name shared places, and the lineage needs them.
 */
public final class LocalPaths {
    /**
     * An absolute path of at least two names, or a file: URI, not inside a word, a relative path or a
     * URI's authority ("8/255", "docs/x.md" and "s3a://b/k" do not match).
     */
    private static final Pattern LOCAL = Pattern.compile(
            "(?<![\\w.~/:\\\\-])(?:file:(?://)?)?(/[\\w.@+~-]+(?:/[\\w.@+~-]+)+/?)");

    private final Path workingFolder;

    /** @param workingFolder the folder relative paths are written against (absolute) */
    public LocalPaths(Path workingFolder) {
        this.workingFolder = workingFolder.toAbsolutePath().normalize();
    }

    /** Hides every local absolute path in {@code text}. */
    public String hide(String text) {
        Matcher m = LOCAL.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(shown(Path.of(m.group(1)).normalize())));
        }
        return m.appendTail(out).toString();
    }

    private String shown(Path path) {
        if (path.startsWith(workingFolder)) {
            String relative = workingFolder.relativize(path).toString();
            return relative.isEmpty() ? "." : relative;
        }
        int names = path.getNameCount();
        return "…/" + path.subpath(Math.max(0, names - 2), names);
    }
}
