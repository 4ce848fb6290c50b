package gibbon.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.data.NpyWriter;
import gibbon.data.TensorArrowFile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's renderers and tensor files, without Spark: quick checks of what they promise. */
class ReportRenderingTest {
    @TempDir
    Path dir;

    @Test
    void arrowFilesKeepEveryValueShapeAndMetadata() throws Exception {
        Random random = new Random(3);
        List<TensorArrowFile.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            float[] t = new float[3 * 4 * 5];
            for (int j = 0; j < t.length; j++) {
                t[j] = random.nextFloat();
            }
            entries.add(new TensorArrowFile.Entry(1000L + i, i % 7, i % 2 == 0 ? "pgd" : "fgsm", "linf", 0.01 * (i % 5),
                    i % 3, random.nextFloat(), t));
        }
        Path file = dir.resolve("x.arrow");
        assertEquals(600, TensorArrowFile.write(file, new int[] {3, 4, 5}, Map.of("gibbon.run_id", "r1"), entries.iterator()));
        TensorArrowFile.Contents back = TensorArrowFile.read(file);
        assertArrayEquals(new int[] {3, 4, 5}, back.shape());
        assertEquals("r1", back.metadata().get("gibbon.run_id"));
        assertEquals(600, back.entries().size());
        for (int i = 0; i < 600; i++) {
            TensorArrowFile.Entry a = entries.get(i);
            TensorArrowFile.Entry b = back.entries().get(i);
            assertEquals(List.of(a.exampleId(), a.label(), a.attack(), a.norm(), a.epsilon(), a.predicted(), a.confidence()),
                    List.of(b.exampleId(), b.label(), b.attack(), b.norm(), b.epsilon(), b.predicted(), b.confidence()));
            assertArrayEquals(a.tensor(), b.tensor());
        }
        Files.writeString(dir.resolve("bad.arrow"), "not arrow");
        String message = org.junit.jupiter.api.Assertions.assertThrows(gibbon.GibbonException.class,
                () -> TensorArrowFile.read(dir.resolve("bad.arrow"))).getMessage();
        assertTrue(message.contains("bad.arrow") && message.contains("Arrow"), message);
    }

    @Test
    void npyFilesFollowTheFormat() throws Exception {
        Path file = dir.resolve("a.npy");
        try (NpyWriter w = new NpyWriter(file, new long[] {2, 1, 2, 3})) {
            w.write(new float[] {0, 1, 2, 3, 4, 5});
            w.write(new float[] {6, 7, 8, 9, 10, 11.5f});
        }
        byte[] bytes = Files.readAllBytes(file);
        assertEquals("NUMPY", new String(bytes, 1, 5, StandardCharsets.US_ASCII));
        int headerLength = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        assertEquals(0, (10 + headerLength) % 64, "data starts 64-byte aligned");
        assertTrue(header.contains("'descr': '<f4'") && header.contains("'shape': (2, 1, 2, 3)") && header.endsWith("\n"));
        ByteBuffer data = ByteBuffer.wrap(bytes, 10 + headerLength, 48).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0f, data.getFloat(10 + headerLength));
        assertEquals(11.5f, data.getFloat(10 + headerLength + 44));
        assertEquals(10 + headerLength + 48, bytes.length);
    }

    @Test
    void theGridFramesExactlyTheFlippedExamples() throws Exception {
        float[] original = new float[28 * 28];
        float[] adversarial = original.clone();
        adversarial[100] = 0.1f;
        ExampleGrid.Row flipped = new ExampleGrid.Row(1, "Bag", original, adversarial, new int[] {1, 28, 28}, "Bag", 0.9f,
                "Coat", 0.8f);
        ExampleGrid.Row resisted = new ExampleGrid.Row(2, "Bag", original, adversarial, new int[] {1, 28, 28}, "Bag", 0.9f,
                "Bag", 0.7f);
        assertTrue(redPixels(ExampleGrid.png("t", List.of(flipped))) > 500, "a flipped example is framed in red");
        assertEquals(0, redPixels(ExampleGrid.png("t", List.of(resisted))), "an example that resisted is not");
    }

    @Test
    void htmlEscapesDataAndNotebookCellsAreWellFormed() throws Exception {
        ReportDocument doc = new ReportDocument("r <1>");
        doc.add(new ReportDocument.Heading(1, "Section"));
        doc.add(new ReportDocument.Text("A `code` and **bold** line.\n\n- one\n- two"));
        doc.add(new ReportDocument.Query("SELECT 1", List.of("class"), List.of(List.of("<script>alert(1)</script>")),
                new ReportDocument.Data("table_01.csv", "class\n<script>alert(1)</script>\n")));
        RobustnessCurves.Curve curve = new RobustnessCurves.Curve("pgd", "linf", 0.9, 0, "r", 0, List.of(
                new RobustnessCurves.Point(0, 0.9, 0.85, 0.93), new RobustnessCurves.Point(0.1, 0.2, 0.15, 0.26)));
        doc.add(new ReportDocument.Figure("f.png", RobustnessCurves.png(List.of(curve)), "caption",
                new ReportDocument.Data("f.csv", "epsilon\n0.1\n"), "draw(load(\"f.csv\"))"));
        String html = HtmlWriter.write(doc);
        assertTrue(!html.contains("<script>") && html.contains("&lt;script&gt;"), "data never becomes markup");
        assertTrue(html.contains("<code>code</code>") && html.contains("<strong>bold</strong>") && html.contains("<li>two</li>"));
        assertTrue(html.contains("data:image/png;base64,"));
        assertTrue(html.contains("<a href=\"data/f.csv\">") && html.contains("<a href=\"data/table_01.csv\">"),
                "the page links the data behind its figure and table");
        JsonNode nb = new ObjectMapper().readTree(NotebookWriter.write(doc));
        assertEquals(4, nb.get("nbformat").asInt());
        Set<String> ids = new HashSet<>();
        int counts = 0;
        for (JsonNode cell : nb.get("cells")) {
            assertTrue(ids.add(cell.get("id").asText()), "cell ids are unique");
            if (cell.get("cell_type").asText().equals("code")) {
                assertEquals(++counts, cell.get("execution_count").asInt());
            }
        }
        assertEquals(2, counts);
        JsonNode query = nb.get("cells").get(3);
        assertEquals("sql(\"\"\"SELECT 1\"\"\", \"table_01.csv\")", query.get("source").get(0).asText());
        assertEquals("parameters", query.path("metadata").path("tags").path(0).asText(), "the first code cell");
        assertEquals("draw(load(\"f.csv\"))", nb.get("cells").get(4).get("source").get(0).asText());
    }

    @Test
    void localPathsAreHiddenAndRemoteOnesKept() {
        LocalPaths paths = new LocalPaths(Path.of("/srv/gibbon"));
        assertEquals("model models/cnn.pt, data …/fashion-mnist/t10k.gz, warehouse warehouse",
                paths.hide("model /srv/gibbon/models/cnn.pt, data file:/usr/share/fashion-mnist/t10k.gz, warehouse"
                        + " file:///srv/gibbon/warehouse/"));
        String kept = "hdfs://nn:8020/user/a/wh s3a://bucket/x/y jdbc:postgresql://db:5432/gibbon 8/255 docs/queries.md"
                + " T-shirt/top examples/s";
        assertEquals(kept, paths.hide(kept));
        assertEquals("{\"uri\":\"…/b/c.pt\"}", paths.hide("{\"uri\":\"/a/b/c.pt\"}"));
    }

    private static int redPixels(byte[] png) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        int red = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                red += ((rgb >> 16) & 0xff) > 180 && ((rgb >> 8) & 0xff) < 80 && (rgb & 0xff) < 80 ? 1 : 0;
            }
        }
        return red;
    }
}
