package gibbon.model;

import gibbon.GibbonException;
import gibbon.io.Storage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Model files at any Hadoop FS location, and their local copies: DJL and libtorch read local files
 * only, so each file is copied into {@code <directory>/<sha256>/<name>}, once per content. Copies
 * download to a temporary file and move into place atomically, so concurrent loads in one executor
 * never see a partial file.
 */
public final class ModelStore {
    private final Path directory;
    private final Map<String, String> hadoop;

    /**
     * @param directory the local directory that holds the copies
     * @param hadoop Hadoop configuration for the remote file systems
     */
    public ModelStore(Path directory, Map<String, String> hadoop) {
        this.directory = directory;
        this.hadoop = hadoop;
    }

    /**
     * A local copy of a model file.
     *
     * @param file the copy, in a directory named by its SHA-256
     * @param sha256 the file's SHA-256, lower-case hex
     */
    public record LocalCopy(Path file, String sha256) {
        /** The directory holding the copy, which DJL loads from. */
        public Path directory() {
            return file.getParent();
        }
    }

    /** Opens a (small) model file where it lies, e.g. a model directory's metadata. */
    InputStream open(String location) throws IOException {
        return Storage.open(location, hadoop);
    }

    /**
     * Copies a model file into {@code <directory>/<sha256>/<name>} unless an identical copy is there.
     *
     * @param name the copy's file name (DJL finds parameters by name)
     */
    public LocalCopy fetch(String location, String name) {
        try {
            Files.createDirectories(directory);
            Path download = Files.createTempFile(directory, "download", ".part");
            try {
                Storage.copyToLocal(location, download, hadoop);
                String sha256 = sha256(download);
                Path target = directory.resolve(sha256).resolve(name);
                if (!Files.exists(target)) {
                    Files.createDirectories(target.getParent());
                    Files.move(download, target, StandardCopyOption.ATOMIC_MOVE);
                }
                return new LocalCopy(target, sha256);
            } finally {
                Files.deleteIfExists(download);
            }
        } catch (FileNotFoundException e) {
            throw GibbonException.model(location + ": not found");
        } catch (IOException e) {
            throw new GibbonException(GibbonException.Kind.MODEL, location + ": cannot read ("
                    + TorchErrors.reason(e) + ")", e);
        }
    }

    /** The SHA-256 of a local file, lower-case hex, as model.json records it. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw GibbonException.model(file + ": cannot hash (" + e.getMessage() + ")");
        }
    }
}
