package gibbon.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import gibbon.GibbonException;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import gibbon.model.Classifier;
import gibbon.model.ModelLoader;
import gibbon.model.ModelSpec;
import gibbon.model.ModelStore;
import gibbon.model.TorchRuntime;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Datasets and models read from a real HDFS (a NameNode and a DataNode on 127.0.0.1). */
class HdfsStorageTest {
    @TempDir
    static Path base;

    private static MiniDFSCluster cluster;
    private static String root;

    @BeforeAll
    static void startHdfs() throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("dfs").toString());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        root = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
        FileSystem fs = cluster.getFileSystem();
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path("bundled/fashion-mnist"), new org.apache.hadoop.fs.Path("/data"));
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path("bundled/models/fashion-cnn"),
                new org.apache.hadoop.fs.Path("/models/fashion-cnn"));
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    @Test
    void readsTheSameExamplesAsTheLocalFile() {
        IdxDataset remote = IdxDataset.open(root + "/data/t10k-images-idx3-ubyte.gz",
                root + "/data/t10k-labels-idx1-ubyte.gz", Map.of());
        IdxDataset local = IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz",
                "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz", Map.of());
        assertEquals(10_000, remote.size());
        Iterator<Example> r = remote.read(5_000, 5_010);
        Iterator<Example> l = local.read(5_000, 5_010);
        int compared = 0;
        while (l.hasNext()) {
            Example a = l.next();
            Example b = r.next();
            assertEquals(a.id(), b.id());
            assertEquals(a.label(), b.label());
            assertArrayEquals(a.pixels(), b.pixels());
            compared++;
        }
        assertEquals(10, compared);
        assertFalse(r.hasNext());
    }

    @Test
    void aModelFromHdfsGivesTheLogitsOfTheLocalFile() {
        TorchRuntime.start(1);
        ModelLoader loader = new ModelLoader(new ModelStore(base.resolve("cache"), Map.of()));
        IdxDataset images = IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz",
                "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz", Map.of());
        float[] pixels = new float[4 * 28 * 28];
        Iterator<Example> it = images.read(0, 4);
        for (int i = 0; i < 4; i++) {
            byte[] example = it.next().pixels();
            for (int j = 0; j < example.length; j++) {
                pixels[i * example.length + j] = (example[j] & 0xff) / 255f;
            }
        }
        try (Classifier remote = loader.load(ModelSpec.djl(root + "/models/fashion-cnn"), Device.cpu());
                Classifier local = loader.load(ModelSpec.djl("bundled/models/fashion-cnn"), Device.cpu());
                NDManager m = remote.newBatchManager()) {
            assertTrue(remote.location().startsWith("hdfs://"), remote.location());
            assertEquals(10, remote.metadata().numClasses());
            NDArray x = m.create(pixels, new Shape(4, 1, 28, 28));
            float[] expected = local.logits(x).toFloatArray();
            float[] actual = remote.logits(x).toFloatArray();
            assertEquals(4 * 10, actual.length);
            assertArrayEquals(expected, actual, 1e-6f);
        }
    }

    @Test
    void missingHdfsFileIsNamed() {
        GibbonException e = assertThrows(GibbonException.class, () -> IdxDataset.open(root + "/data/nope.gz",
                root + "/data/t10k-labels-idx1-ubyte.gz", Map.of()));
        assertTrue(e.getMessage().contains("/data/nope.gz") && e.getMessage().contains("not found"), e.getMessage());
    }
}
