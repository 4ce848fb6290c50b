package gibbon.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.GibbonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageTest {
    @TempDir
    Path dir;

    @Test
    void namesFromDataCannotLeaveTheirFolder() {
        for (String hostile : new String[] {"..", ".", "", "../../etc/passwd", "/abs/path", "a/../../b", "run\u0000id", "C:\\x"}) {
            String safe = Storage.safeFileName(hostile);
            assertTrue(safe.matches("[A-Za-z0-9_][A-Za-z0-9._-]*"), hostile + " -> " + safe);
            assertEquals(dir.resolve("reports"), dir.resolve("reports").resolve(safe).normalize().getParent(), safe);
        }
        assertEquals("20261126-011118-30eb20", Storage.safeFileName("20261126-011118-30eb20"));
    }

    @Test
    void requireExistsNamesTheKeyAndWhatIsWrong() throws IOException {
        Path file = Files.writeString(dir.resolve("images.idx"), "x");
        Storage.requireExists("dataset.images", file.toString(), Storage.Expect.FILE, Map.of());
        Storage.requireExists("model.uri", dir.toString(), Storage.Expect.DIRECTORY, Map.of());
        Storage.requireExists("dataset.path", dir.toString(), Storage.Expect.FILE_OR_DIRECTORY, Map.of());
        GibbonException missing = assertThrows(GibbonException.class, () -> Storage.requireExists("dataset.labels",
                dir.resolve("none").toString(), Storage.Expect.FILE, Map.of()));
        assertEquals(GibbonException.Kind.CONFIG, missing.kind());
        assertTrue(missing.getMessage().startsWith("config key 'dataset.labels': file:") && missing.getMessage().endsWith(
                "none: not found"), missing.getMessage());
        assertTrue(assertThrows(GibbonException.class, () -> Storage.requireExists("model.uri", file.toString(),
                Storage.Expect.DIRECTORY, Map.of())).getMessage().endsWith("is a file, expected a directory"));
        assertTrue(assertThrows(GibbonException.class, () -> Storage.requireExists("dataset.images", dir.toString(),
                Storage.Expect.FILE, Map.of())).getMessage().endsWith("is a directory, expected a file"));
        assertTrue(assertThrows(GibbonException.class, () -> Storage.requireExists("dataset.images", "nosuchfs://x/y",
                Storage.Expect.FILE, Map.of())).getMessage().contains("no file system for scheme 'nosuchfs'"));
    }

    @Test
    void refusedConnectionsFailFastUnlessTheConfigSaysOtherwise() {
        GibbonException e = assertThrows(GibbonException.class, () -> Storage.requireExists("dataset.images",
                "hdfs://127.0.0.1:9/x", Storage.Expect.FILE, Map.of()));
        assertTrue(e.getMessage().contains("cannot reach (ConnectException"), e.getMessage());
        // The wait is bounded by the retry settings (timings are not asserted in tests).
        assertEquals("2", Storage.hadoopConf(Map.of()).get("ipc.client.connect.max.retries"));
        assertEquals("7", Storage.hadoopConf(Map.of("ipc.client.connect.max.retries", "7")).get("ipc.client.connect.max.retries"));
    }

    @Test
    void aSiteFileKeepsItsOwnWaits(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path site = dir.resolve("core-site.xml");
        Files.writeString(site, "<configuration><property><name>ipc.client.connect.max.retries</name><value>9</value>"
                + "</property></configuration>");
        org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
        conf.addResource(site.toUri().toURL());
        Storage.withProperties(conf, Map.of());
        assertEquals("9", conf.get("ipc.client.connect.max.retries"), "a cluster's own setting is not replaced");
        assertEquals("10000", conf.get("ipc.client.connect.timeout"), "keys the site file leaves alone are bounded");
    }
}
