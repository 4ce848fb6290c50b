package gibbon.data;

import gibbon.GibbonException;
import gibbon.io.Storage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * An image dataset in the IDX format of MNIST and Fashion-MNIST: an idx3 file of unsigned-byte
 * images and an idx1 file of unsigned-byte labels, raw or gzip-compressed (detected from the
 * content, not the name). Opening checks magic numbers, dimensions, counts, label range and
 * truncation, so a bad file fails before any work starts. The example id is the index in the file.
 *
 * <p>The object is small and serializable: executors call {@link #read(long, long)} to stream
 * their own slice from storage.
 */
public final class IdxDataset implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int UNSIGNED_BYTE = 0x08;

    private final String imagesUri;
    private final String labelsUri;
    private final Map<String, String> hadoop;
    private final int count;
    private final int rows;
    private final int cols;
    private final int maxLabel;

    private IdxDataset(String imagesUri, String labelsUri, Map<String, String> hadoop, int count,
            int rows, int cols, int maxLabel) {
        this.imagesUri = imagesUri;
        this.labelsUri = labelsUri;
        this.hadoop = hadoop;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.maxLabel = maxLabel;
    }

    /**
     * Opens and fully checks an IDX image/label pair.
     *
     * @throws GibbonException of kind DATA naming the file and what is wrong with it
     */
    public static IdxDataset open(String imagesLocation, String labelsLocation, Map<String, String> hadoop) {
        String images = Storage.absolute(imagesLocation);
        String labels = Storage.absolute(labelsLocation);
        Map<String, String> props = Map.copyOf(hadoop);
        int[] imageDims;
        long imageBytes;
        try (DataInputStream in = openIdx(images, props)) {
            imageDims = readHeader(in, images, 3);
            long expected = (long) imageDims[0] * imageDims[1] * imageDims[2];
            imageBytes = countBytes(in, expected);
            if (imageBytes < expected) {
                throw GibbonException.data(images + ": truncated: header promises " + imageDims[0] + " images of "
                        + imageDims[1] + "x" + imageDims[2] + " (" + expected + " bytes) but the file holds "
                        + imageBytes + " bytes of pixels");
            }
            requireEnd(in, images);
        } catch (IOException e) {
            throw ioError(images, e);
        }
        int[] labelDims;
        int maxLabel = -1;
        try (DataInputStream in = openIdx(labels, props)) {
            labelDims = readHeader(in, labels, 1);
            byte[] all = new byte[labelDims[0]];
            int got = in.readNBytes(all, 0, all.length);
            if (got < all.length) {
                throw GibbonException.data(labels + ": truncated: header promises " + all.length
                        + " labels but the file holds " + got);
            }
            requireEnd(in, labels);
            for (byte b : all) {
                maxLabel = Math.max(maxLabel, Byte.toUnsignedInt(b));
            }
        } catch (IOException e) {
            throw ioError(labels, e);
        }
        if (labelDims[0] != imageDims[0]) {
            throw GibbonException.data(labels + ": holds " + labelDims[0] + " labels but " + images + " holds "
                    + imageDims[0] + " images");
        }
        return new IdxDataset(images, labels, props, imageDims[0], imageDims[1], imageDims[2], maxLabel);
    }

    /**
     * Reading on to the end verifies a gzip file's checksum (a flipped bit in the middle otherwise
     * decodes to wrong pixels unnoticed) and finds bytes the header does not account for.
     */
    private static void requireEnd(InputStream in, String file) throws IOException {
        byte[] buffer = new byte[1 << 12];
        long extra = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            extra += n;
        }
        if (extra > 0) {
            throw GibbonException.data(file + ": holds " + extra + " bytes more than its IDX header accounts for");
        }
    }

    private static long countBytes(InputStream in, long limit) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while (total < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total))) > 0) {
            total += n;
        }
        return total;
    }

    private static GibbonException ioError(String file, IOException e) {
        if (e instanceof ZipException) {
            return new GibbonException(GibbonException.Kind.DATA, file + ": corrupt gzip data (" + e.getMessage() + ")", e);
        }
        if (e instanceof EOFException) {
            return new GibbonException(GibbonException.Kind.DATA, file + ": truncated (ends inside the data)", e);
        }
        if (e instanceof java.io.FileNotFoundException) {
            return new GibbonException(GibbonException.Kind.DATA, file + ": file not found", e);
        }
        return new GibbonException(GibbonException.Kind.DATA, file + ": cannot read: " + e.getMessage(), e);
    }

    private static DataInputStream openIdx(String location, Map<String, String> hadoop) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Storage.open(location, hadoop), 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        InputStream content = (b0 == 0x1f && b1 == 0x8b) ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16) : in;
        return new DataInputStream(content);
    }

    /** Reads and checks an IDX header; returns its dimensions. */
    private static int[] readHeader(DataInputStream in, String file, int expectedDims) throws IOException {
        byte[] magic = new byte[4];
        if (in.readNBytes(magic, 0, 4) < 4) {
            throw GibbonException.data(file + ": empty or shorter than an IDX header");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw GibbonException.data(file + ": not an IDX file (magic number "
                    + String.format("0x%02x%02x%02x%02x", magic[0], magic[1], magic[2], magic[3]) + ")");
        }
        if (magic[2] != UNSIGNED_BYTE) {
            throw GibbonException.data(file + ": IDX element type 0x" + Integer.toHexString(magic[2] & 0xff)
                    + " is not supported (expected 0x08, unsigned byte)");
        }
        int dims = magic[3];
        if (dims != expectedDims) {
            throw GibbonException.data(file + ": has " + dims + " dimensions, expected " + expectedDims
                    + (expectedDims == 3 ? " (count, rows, columns)" : " (count)"));
        }
        int[] shape = new int[dims];
        for (int i = 0; i < dims; i++) {
            try {
                shape[i] = in.readInt();
            } catch (EOFException e) {
                throw GibbonException.data(file + ": truncated inside the IDX header");
            }
            if (shape[i] <= 0) {
                throw GibbonException.data(file + ": dimension " + i + " is " + shape[i] + ", must be positive");
            }
        }
        return shape;
    }

    /** Number of examples in the files. */
    public int size() {
        return count;
    }

    /** The image shape as (channels, rows, columns). */
    public int[] shape() {
        return new int[] {1, rows, cols};
    }

    /** The largest label value in the label file. */
    public int maxLabel() {
        return maxLabel;
    }

    public String imagesUri() {
        return imagesUri;
    }

    public String labelsUri() {
        return labelsUri;
    }

    /**
     * Streams the examples with ids in [start, end) from storage. The caller closes nothing: the
     * iterator closes its files when exhausted.
     */
    public Iterator<Example> read(long start, long end) {
        if (start < 0 || end > count || start > end) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") outside [0, " + count + ")");
        }
        int pixels = rows * cols;
        try {
            DataInputStream images = openIdx(imagesUri, hadoop);
            DataInputStream labels = openIdx(labelsUri, hadoop);
            images.skipNBytes(16 + start * pixels);
            labels.skipNBytes(8 + start);
            return new Iterator<>() {
                private long next = start;

                @Override
                public boolean hasNext() {
                    if (next < end) {
                        return true;
                    }
                    closeQuietly();
                    return false;
                }

                @Override
                public Example next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    try {
                        byte[] image = new byte[pixels];
                        images.readFully(image);
                        int label = labels.readUnsignedByte();
                        return new Example(next++, label, image);
                    } catch (IOException e) {
                        closeQuietly();
                        throw ioError(imagesUri, e);
                    }
                }

                private void closeQuietly() {
                    try {
                        images.close();
                        labels.close();
                    } catch (IOException ignored) {
                        // Reading is finished; a failed close loses nothing.
                    }
                }
            };
        } catch (IOException e) {
            throw ioError(imagesUri, e);
        }
    }

    @Override
    public String toString() {
        return "IdxDataset[" + imagesUri + ", " + count + " x " + Arrays.toString(shape()) + "]";
    }
}
