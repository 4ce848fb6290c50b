package gibbon.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a float32 array as a NumPy {@code .npy} file (format 1.0), streaming rows of a shape known
 * up front, so {@code numpy.load} reads adversarial inputs without any other package.
 */
public final class NpyWriter implements AutoCloseable {
    private final OutputStream out;
    private final long expected;
    private final int rowSize;
    private long written;

    /** @param shape the whole array's shape; the first dimension counts the rows to come */
    public NpyWriter(Path file, long[] shape) throws IOException {
        this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        this.expected = shape[0];
        long size = 1;
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            dims.append(shape[i]).append(shape.length == 1 || i < shape.length - 1 ? ", " : "");
            size *= i == 0 ? 1 : shape[i];
        }
        this.rowSize = (int) size;
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims.toString().strip() + "), }";
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to 64 bytes, ending in \n.
        int unpadded = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) header.length()).array());
        out.write(header.getBytes(StandardCharsets.US_ASCII));
    }

    /** Appends one row (all dimensions but the first). */
    public void write(float[] row) throws IOException {
        if (row.length != rowSize) {
            throw new IllegalArgumentException("row of " + row.length + " values, expected " + rowSize);
        }
        ByteBuffer bytes = ByteBuffer.allocate(4 * row.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(row);
        out.write(bytes.array());
        written++;
    }

    @Override
    public void close() throws IOException {
        out.close();
        if (written != expected) {
            throw new IOException("wrote " + written + " rows of the " + expected + " the header announces");
        }
    }
}
