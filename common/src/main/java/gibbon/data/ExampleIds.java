package gibbon.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Stable example ids for datasets without an index: the first 63 bits of the SHA-256 of the file's
 * path relative to the dataset root, so runs over the same files join on example_id wherever the
 * dataset is stored.
 */
public final class ExampleIds {
    private ExampleIds() {}

    public static long ofRelativePath(String relativePath) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(relativePath.getBytes(StandardCharsets.UTF_8));
            long id = 0;
            for (int i = 0; i < 8; i++) {
                id = (id << 8) | (d[i] & 0xff);
            }
            return id & Long.MAX_VALUE;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
