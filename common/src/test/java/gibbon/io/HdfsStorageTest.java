package gibbon.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import gibbon.GibbonException;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import gibbon.model.Classifier;
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
        while (l.hasNext()) {
            Example a = l.next();
            Example b = r.next();
            assertEquals(a.id(), b.id());
            assertEquals(a.label(), b.label());
            assertArrayEquals(a.pixels(), b.pixels());
        }
    }

    @Test
    void loadsAModelFromHdfs() {
        TorchRuntime.start(1);
        try (Classifier model = Classifier.load(root + "/models/fashion-cnn", Device.cpu(), base.resolve("cache"), Map.of());
                NDManager m = model.newBatchManager()) {
            assertEquals(10, model.metadata().numClasses());
            assertEquals(new Shape(2, 10), model.logits(m.zeros(new Shape(2, 1, 28, 28))).getShape());
        }
    }

    @Test
    void missingHdfsFileIsNamed() {
        GibbonException e = assertThrows(GibbonException.class, () -> IdxDataset.open(root + "/data/nope.gz",
                root + "/data/t10k-labels-idx1-ubyte.gz", Map.of()));
        assertTrue(e.getMessage().contains("/data/nope.gz") && e.getMessage().contains("not found"), e.getMessage());
    }
}
