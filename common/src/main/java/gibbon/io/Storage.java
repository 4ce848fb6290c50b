package gibbon.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Every file Gibbon reads or writes goes through here: one Hadoop FileSystem API, so {@code
 * file://}, {@code hdfs://} and {@code s3a://} locations behave alike. A location without a scheme
 * is a local path, relative to the working directory.
 */
public final class Storage {
    private Storage() {}

    /**
     * Turns a user-given location into an absolute URI: a local path becomes {@code file:/...}, a
     * URI with a scheme is kept as it is.
     */
    public static String absolute(String location) {
        if (location.matches("[a-zA-Z][a-zA-Z0-9+.-]+:.*")) {
            return location;
        }
        return java.nio.file.Path.of(location).toAbsolutePath().normalize().toUri().toString();
    }

    /** The Hadoop configuration with the extra properties the experiment config sets. */
    public static Configuration hadoopConf(Map<String, String> properties) {
        Configuration conf = new Configuration();
        properties.forEach(conf::set);
        return conf;
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

    /** Joins a child name onto a directory location. */
    public static String child(String directory, String name) {
        return directory.endsWith("/") ? directory + name : directory + "/" + name;
    }
}
