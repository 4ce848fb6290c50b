package gibbon.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests, well-formed or deliberately broken. */
public final class IdxFiles {
    private IdxFiles() {}

    /** The bytes of an IDX file with an unsigned-byte payload. */
    public static byte[] idx(int[] dims, byte[] payload) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {0, 0, 0x08, (byte) dims.length});
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(payload);
        return bytes.toByteArray();
    }

    public static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        }
        return bytes.toByteArray();
    }

    /** Images whose pixel j of image i is (i * 7 + j) mod 256, labels i mod classes. */
    public static Path[] write(Path dir, int count, int rows, int cols, int classes, boolean gzip) throws IOException {
        byte[] pixels = new byte[count * rows * cols];
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < rows * cols; j++) {
                pixels[i * rows * cols + j] = (byte) ((i * 7 + j) % 256);
            }
        }
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) (i % classes);
        }
        byte[] images = idx(new int[] {count, rows, cols}, pixels);
        byte[] labelFile = idx(new int[] {count}, labels);
        String suffix = gzip ? ".gz" : "";
        Path imagesPath = dir.resolve("images-idx3-ubyte" + suffix);
        Path labelsPath = dir.resolve("labels-idx1-ubyte" + suffix);
        Files.write(imagesPath, gzip ? gzip(images) : images);
        Files.write(labelsPath, gzip ? gzip(labelFile) : labelFile);
        return new Path[] {imagesPath, labelsPath};
    }
}
