package gibbon.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.GibbonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxDatasetTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void readsRawAndGzipSlices(boolean gzip) throws IOException {
        Path[] files = IdxFiles.write(dir, 50, 4, 3, 10, gzip);
        IdxDataset d = IdxDataset.open(files[0].toString(), files[1].toString(), Map.of());
        assertEquals(50, d.size());
        assertArrayEquals(new int[] {1, 4, 3}, d.shape());
        assertEquals(9, d.maxLabel());
        List<Example> slice = new ArrayList<>();
        d.read(17, 23).forEachRemaining(slice::add);
        assertEquals(6, slice.size());
        for (int k = 0; k < slice.size(); k++) {
            Example e = slice.get(k);
            long i = 17 + k;
            assertEquals(i, e.id());
            assertEquals(i % 10, e.label());
            assertEquals((byte) ((i * 7 + 5) % 256), e.pixels()[5]);
        }
    }

    @Test
    void readsTheRealFashionMnistTestSet() {
        IdxDataset d = IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz",
                "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz", Map.of());
        assertEquals(10_000, d.size());
        assertArrayEquals(new int[] {1, 28, 28}, d.shape());
        assertEquals(9, d.maxLabel());
        Iterator<Example> last = d.read(9_999, 10_000);
        Example e = last.next();
        assertEquals(9_999, e.id());
        assertEquals(784, e.pixels().length);
    }

    @Test
    void acceptsHadoopFileUris() throws IOException {
        Path[] files = IdxFiles.write(dir, 5, 2, 2, 3, true);
        IdxDataset d = IdxDataset.open(files[0].toUri().toString(), files[1].toUri().toString(), Map.of());
        assertEquals(5, d.size());
    }

    private GibbonException openFails(byte[] images, byte[] labels) throws IOException {
        Path i = dir.resolve("i");
        Path l = dir.resolve("l");
        Files.write(i, images);
        Files.write(l, labels);
        return assertThrows(GibbonException.class, () -> IdxDataset.open(i.toString(), l.toString(), Map.of()));
    }

    private static byte[] labels(int n) throws IOException {
        return IdxFiles.idx(new int[] {n}, new byte[n]);
    }

    @Test
    void rejectsWrongMagic() throws IOException {
        byte[] images = IdxFiles.idx(new int[] {2, 2, 2}, new byte[8]);
        images[0] = 0x12;
        GibbonException e = openFails(images, labels(2));
        assertTrue(e.getMessage().contains("not an IDX file"), e.getMessage());
        assertEquals(GibbonException.Kind.DATA, e.kind());
    }

    @Test
    void rejectsTruncatedImages() throws IOException {
        GibbonException e = openFails(IdxFiles.idx(new int[] {3, 2, 2}, new byte[10]), labels(3));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("12 bytes"), e.getMessage());
    }

    @Test
    void rejectsTruncatedLabels() throws IOException {
        GibbonException e = openFails(IdxFiles.idx(new int[] {3, 2, 2}, new byte[12]),
                IdxFiles.idx(new int[] {3}, new byte[2]));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void rejectsCountMismatch() throws IOException {
        GibbonException e = openFails(IdxFiles.idx(new int[] {3, 2, 2}, new byte[12]), labels(4));
        assertTrue(e.getMessage().contains("4 labels") && e.getMessage().contains("3 images"), e.getMessage());
    }

    @Test
    void rejectsEmptyFile() throws IOException {
        GibbonException e = openFails(new byte[0], labels(1));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void rejectsCorruptGzip() throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.idx(new int[] {3, 2, 2}, new byte[12]));
        byte[] corrupt = Arrays.copyOf(gz, gz.length);
        for (int k = 12; k < corrupt.length - 8; k++) {
            corrupt[k] ^= 0x5a;
        }
        GibbonException e = openFails(corrupt, labels(3));
        assertTrue(e.getMessage().contains("/i: "), e.getMessage());
        assertEquals(GibbonException.Kind.DATA, e.kind());
    }

    @Test
    void checksTheGzipTrailerAndExtraBytes() throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.idx(new int[] {3, 2, 2}, new byte[12]));
        byte[] badCrc = Arrays.copyOf(gz, gz.length);
        badCrc[gz.length - 8] ^= 0x01;
        GibbonException e = openFails(badCrc, labels(3));
        assertTrue(e.getMessage().contains("corrupt gzip data"), e.getMessage());
        e = openFails(IdxFiles.idx(new int[] {3, 2, 2}, new byte[15]), labels(3));
        assertTrue(e.getMessage().contains("holds 3 bytes more than its IDX header"), e.getMessage());
        e = openFails(IdxFiles.idx(new int[] {3, 2, 2}, new byte[12]), IdxFiles.idx(new int[] {3}, new byte[4]));
        assertTrue(e.getMessage().contains("/l: holds 1 bytes more"), e.getMessage());
    }

    @Test
    void rejectsWrongDimensionCount() throws IOException {
        GibbonException e = openFails(IdxFiles.idx(new int[] {3, 2, 2}, new byte[12]),
                IdxFiles.idx(new int[] {3, 1, 1}, new byte[3]));
        assertTrue(e.getMessage().contains("has 3 dimensions, expected 1"), e.getMessage());
    }

    @Test
    void rejectsNonByteElementType() throws IOException {
        byte[] images = IdxFiles.idx(new int[] {1, 2, 2}, new byte[4]);
        images[2] = 0x0D;
        GibbonException e = openFails(images, labels(1));
        assertTrue(e.getMessage().contains("element type 0xd"), e.getMessage());
    }

    @Test
    void namesAMissingFile() {
        GibbonException e = assertThrows(GibbonException.class,
                () -> IdxDataset.open(dir.resolve("nope").toString(), dir.resolve("nope2").toString(), Map.of()));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("not found"), e.getMessage());
    }
}
