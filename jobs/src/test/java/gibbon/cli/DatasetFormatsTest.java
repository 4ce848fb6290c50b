package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.data.Example;
import gibbon.data.ExampleIds;
import gibbon.data.IdxDataset;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same Fashion-MNIST slice as IDX, as a PNG image folder and as Parquet (PNG bytes, and float
 * arrays) gives the same predictions rows: the same classes, and the same confidences and norms up to
 * libtorch's last-bit differences between batch sizes (formats partition, hence batch, differently).
 */
class DatasetFormatsTest {
    /**
     * Carry-over and early stopping shrink a batch by the examples already broken, so the steps an
     * example takes would depend on the batch's other examples; libtorch's last-bit differences
     * between batch sizes could then stop one format a step earlier than another on a boundary case.
     * Every example takes every step at every epsilon instead.
     */
    private static final String[] EPSILONS_APART = {"--set", "attacks.pgd.carry-over=false", "--set",
        "attacks.pgd_l2.carry-over=false", "--set", "attacks.pgd.early-stop=false", "--set",
        "attacks.pgd_l2.early-stop=false"};

    /** Confidences and norms of one example computed in batches of different sizes agree this far. */
    private static final double LAST_BITS = 1e-4;

    private static final int N = 120;

    @TempDir
    static Path dir;

    private static List<Example> examples;
    private static final Map<Long, Long> folderIdToIndex = new HashMap<>();

    @BeforeAll
    static void writeFormats() throws IOException {
        examples = new ArrayList<>();
        IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz", "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz",
                Map.of()).read(0, N).forEachRemaining(examples::add);
        List<Row> encoded = new ArrayList<>();
        List<Row> floats = new ArrayList<>();
        for (Example e : examples) {
            byte[] png = png(e.pixels());
            String relative = "c" + e.label() + "/" + String.format("%05d.png", e.id());
            Path file = dir.resolve("folder").resolve(relative);
            Files.createDirectories(file.getParent());
            Files.write(file, png);
            folderIdToIndex.put(ExampleIds.ofRelativePath(relative), e.id());
            encoded.add(RowFactory.create(e.id(), e.label(), png));
            float[] v = new float[784];
            for (int i = 0; i < 784; i++) {
                v[i] = (e.pixels()[i] & 0xff) / 255f;
            }
            Float[] boxed = new Float[784];
            for (int i = 0; i < 784; i++) {
                boxed[i] = v[i];
            }
            floats.add(RowFactory.create(e.id(), e.label(), Arrays.asList(boxed)));
        }
        CommandResult.run(settings("run", "--set", "dataset.limit=1", "--set", "attacks.pgd.enabled=false",
                "--set", "attacks.pgd_l2.enabled=false"));
        SparkSession spark = SparkSession.active();
        spark.createDataFrame(encoded, new StructType().add("id", DataTypes.LongType).add("label", DataTypes.IntegerType)
                .add("image", DataTypes.BinaryType)).write().parquet(dir.resolve("encoded.parquet").toString());
        spark.createDataFrame(floats, new StructType().add("id", DataTypes.LongType).add("label", DataTypes.IntegerType)
                .add("image", DataTypes.createArrayType(DataTypes.FloatType))).write()
                .parquet(dir.resolve("floats.parquet").toString());
    }

    private static byte[] png(byte[] pixels) throws IOException {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28, pixels);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static String[] settings(String... args) {
        return Stream.concat(Arrays.stream(args), Stream.of("--set", "output.warehouse=" + dir.resolve("warehouse"),
                "--set", "output.catalog=formats", "--set", "spark.master=\"local[2]\"", "--set", "attacks.pgd.steps=3",
                "--set", "attacks.pgd_l2.steps=3")).toArray(String[]::new);
    }

    /** Runs the default sweep on a dataset and returns its prediction rows, ids mapped to IDX indices. */
    private static Map<String, float[]> predictions(Map<Long, Long> ids, String... dataset) {
        CommandResult r = CommandResult.run(settings(Stream.concat(Stream.of("run", "--set", "dataset.limit=" + N),
                Arrays.stream(dataset)).toArray(String[]::new)));
        assertEquals(0, r.exitCode(), r.err());
        Matcher m = Pattern.compile("(?m)^run: (\\S+)$").matcher(r.out());
        assertTrue(m.find());
        Map<String, float[]> rows = new HashMap<>();
        for (Row row : SparkSession.active().sql("SELECT example_id, label, attack, epsilon, predicted, confidence, linf, l2"
                + " FROM formats.robustness.predictions WHERE run_id = '" + m.group(1) + "'").collectAsList()) {
            long id = ids == null ? row.getLong(0) : ids.get(row.getLong(0));
            rows.put(id + "," + row.get(1) + "," + row.get(2) + "," + row.get(3),
                    new float[] {row.getInt(4), row.getFloat(5), row.getFloat(6), row.getFloat(7)});
        }
        return rows;
    }

    private static void assertSameRows(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": (example, attack, epsilon) keys");
        List<String> differ = new ArrayList<>();
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            float[] want = e.getValue();
            float[] got = actual.get(e.getKey());
            boolean same = want[0] == got[0];
            for (int i = 1; i < want.length; i++) {
                same &= Math.abs(want[i] - got[i]) <= LAST_BITS;
            }
            if (!same) {
                differ.add(e.getKey() + ": " + Arrays.toString(want) + " vs " + Arrays.toString(got));
            }
        }
        differ.sort(null);
        assertTrue(differ.isEmpty(), what + ": " + differ.size() + " rows differ (predicted, confidence, linf, l2), e.g. "
                + differ.stream().limit(3).toList());
    }

    @Test
    void parquetGivesTheIdxRows() {
        Map<String, float[]> idx = predictions(null, EPSILONS_APART);
        assertEquals(N * 25, idx.size());
        assertSameRows(idx, predictions(null, Stream.concat(Arrays.stream(EPSILONS_APART), Stream.of("--set",
                "dataset.format=parquet", "--set", "dataset.path=" + dir.resolve("encoded.parquet"))).toArray(String[]::new)),
                "parquet with PNG bytes");
        assertSameRows(idx, predictions(null, Stream.concat(Arrays.stream(EPSILONS_APART), Stream.of("--set",
                "dataset.format=parquet", "--set", "dataset.path=" + dir.resolve("floats.parquet"))).toArray(String[]::new)),
                "parquet with float arrays");
    }

    @Test
    void imageFolderGivesTheIdxRows() {
        // Folder ids hash the file path, so random starts differ from IDX: compare deterministic attacks.
        String[] deterministic = Stream.concat(Arrays.stream(EPSILONS_APART), Stream.of("--set",
            "attacks.pgd.random-start=false", "--set", "attacks.pgd_l2.random-start=false",
            "--set", "attacks.noise.enabled=false")).toArray(String[]::new);
        Map<String, float[]> idx = predictions(null, deterministic);
        assertEquals(N * 18, idx.size());
        assertSameRows(idx, predictions(folderIdToIndex, Stream.concat(Arrays.stream(deterministic), Stream.of("--set",
                "dataset.format=image-folder", "--set", "dataset.path=" + dir.resolve("folder"))).toArray(String[]::new)),
                "image folder");
    }

    @Test
    void badSourcesAreNamed() {
        CommandResult missing = CommandResult.run(settings("run", "--set", "dataset.format=parquet", "--set",
                "dataset.path=" + dir.resolve("none.parquet")));
        assertEquals(2, missing.exitCode(), missing.err());
        assertTrue(missing.err().contains("config key 'dataset.path'") && missing.err().contains("none.parquet: not found"),
                missing.err());
        CommandResult column = CommandResult.run(settings("run", "--set", "dataset.format=parquet", "--set",
                "dataset.path=" + dir.resolve("encoded.parquet"), "--set", "dataset.image-column=pixels"));
        assertEquals(3, column.exitCode(), column.err());
        assertTrue(column.err().contains("no column 'pixels'"), column.err());
        CommandResult noPath = CommandResult.run(settings("run", "--set", "dataset.format=image-folder"));
        assertEquals(2, noPath.exitCode(), noPath.err());
        assertTrue(noPath.err().contains("dataset.path"), noPath.err());
    }
}
