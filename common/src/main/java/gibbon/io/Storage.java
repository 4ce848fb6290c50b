package gibbon.io;

import gibbon.GibbonException;
import gibbon.Secrets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Every file Gibbon reads or writes goes through here: one Hadoop FileSystem API, so {@code
 * file://}, {@code hdfs://} and {@code s3a://} locations behave alike. A location without a scheme
 * is a local path, relative to the working directory.
 */
public final class Storage {
    private static final java.util.regex.Pattern URI_WITH_SCHEME = java.util.regex.Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]+:.*");

    private Storage() {}

    /**
     * Turns a user-given location into an absolute URI: a local path becomes {@code file:/...}, a
     * URI with a scheme is kept as it is.
     */
    public static String absolute(String location) {
        if (URI_WITH_SCHEME.matcher(location).matches()) {
            return location;
        }
        return java.nio.file.Path.of(location).toAbsolutePath().normalize().toUri().toString();
    }

    /**
     * Hadoop's IPC client retries a silent host for up to 45 x 20 s: a typo'd or stopped NameNode
     * would hang a run for a quarter of an hour before saying anything. These bounds (a refused
     * connection fails in about 3 s, an unanswered one in about 30 s) apply unless the user set the
     * keys: in a site file ({@code core-site.xml}), Spark's {@code spark.hadoop.*} or the config's
     * {@code hadoop} section.
     */
    static final Map<String, String> BOUNDED_WAITS = Map.of(
            "ipc.client.connect.max.retries", "2",
            "ipc.client.connect.retry.interval", "1000",
            "ipc.client.connect.timeout", "10000",
            "ipc.client.connect.max.retries.on.timeouts", "2");

    /** The URI scheme of a location, lower case; "file" for a plain local path. */
    public static String scheme(String location) {
        return URI_WITH_SCHEME.matcher(location).matches() ? location.substring(0, location.indexOf(':')).toLowerCase()
                : "file";
    }

    /**
     * The Hadoop configuration of Gibbon's own reads: the site files on the classpath, bounded waits
     * where they set nothing, then {@code properties} (Spark's {@code spark.hadoop.*} and the config's
     * {@code hadoop} section, merged on the driver).
     */
    public static Configuration hadoopConf(Map<String, String> properties) {
        return withProperties(new Configuration(), properties);
    }

    static Configuration withProperties(Configuration conf, Map<String, String> properties) {
        BOUNDED_WAITS.forEach((key, value) -> {
            String[] sources = conf.getPropertySources(key);
            if (sources == null || java.util.Arrays.stream(sources).allMatch(source -> source.endsWith("-default.xml"))) {
                conf.set(key, value);
            }
        });
        properties.forEach(conf::set);
        return conf;
    }

    /** What a location must be. */
    public enum Expect {
        FILE,
        DIRECTORY,
        FILE_OR_DIRECTORY
    }

    /**
     * Checks that a location a config key names is there and of the expected kind (file or
     * directory) before any work starts, so a typo fails in seconds with the key's name rather than
     * inside the first Spark task.
     *
     * @throws GibbonException of kind CONFIG naming the key, the location and what is wrong
     */
    public static void requireExists(String key, String location, Expect expect, Map<String, String> properties) {
        String uri = absolute(location);
        String prefix = "config key '" + key + "': " + Secrets.redact(uri) + ": ";
        FileStatus status;
        try {
            Path path = new Path(uri);
            status = path.getFileSystem(hadoopConf(properties)).getFileStatus(path);
        } catch (java.io.FileNotFoundException e) {
            throw GibbonException.config(prefix + "not found");
        } catch (java.nio.file.AccessDeniedException e) {
            throw GibbonException.config(prefix + "access denied (" + Secrets.redact(rootCause(e)) + ")");
        } catch (org.apache.hadoop.fs.UnsupportedFileSystemException e) {
            throw GibbonException.config(prefix + "no file system for scheme '" + new Path(uri).toUri().getScheme() + "'");
        } catch (IOException | IllegalArgumentException e) {
            throw GibbonException.config(prefix + "cannot reach (" + Secrets.redact(rootCause(e)) + ")");
        } catch (RuntimeException e) {
            // Hadoop knows the class of each scheme (fs.s3a.impl), but its jar may not be on the classpath.
            if (!(e.getCause() instanceof ClassNotFoundException)) {
                throw e;
            }
            String scheme = scheme(uri);
            throw GibbonException.config(prefix + "no file system for scheme '" + scheme + "' (" + rootCause(e) + ")"
                    + (scheme.equals("s3a") ? ": s3a needs hadoop-aws and the AWS SDK on the classpath (README, Object storage)"
                            : ""));
        }
        if (expect == Expect.DIRECTORY && !status.isDirectory()) {
            throw GibbonException.config(prefix + "is a file, expected a directory");
        }
        if (expect == Expect.FILE && status.isDirectory()) {
            throw GibbonException.config(prefix + "is a directory, expected a file");
        }
    }

    /** The innermost cause's class and first line: Hadoop and Iceberg wrap the useful part several levels deep. */
    public static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? "" : t.getMessage().lines().findFirst().orElse("");
        return t.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
    }

    public static InputStream open(String location, Map<String, String> properties) throws IOException {
        Path path = new Path(absolute(location));
        FileSystem fs = path.getFileSystem(hadoopConf(properties));
        return fs.open(path);
    }

    /** Copies a file to a local path (DJL loads parameters from local files only). */
    public static void copyToLocal(String location, java.nio.file.Path target, Map<String, String> properties)
            throws IOException {
        Files.createDirectories(target.getParent());
        java.nio.file.Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try (InputStream in = open(location, properties)) {
            Files.copy(in, partial, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(partial, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A file or folder name made from a value that comes from data (a run id read from a table,
     * a class name): nothing but letters, digits, '.', '_' and '-', and never '.' or '..', so the
     * path it joins cannot leave its parent.
     */
    public static String safeFileName(String name) {
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() || safe.startsWith(".") ? "_" + safe : safe;
    }

    /** Joins a child name onto a directory location. */
    public static String child(String directory, String name) {
        return directory.endsWith("/") ? directory + name : directory + "/" + name;
    }
}
