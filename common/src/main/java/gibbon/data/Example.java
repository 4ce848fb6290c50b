package gibbon.data;

import java.io.Serializable;

/**
 * One labelled image with its stable id (the index in an IDX file, a hash of an image file's
 * relative path, or a declared id column). Its values in (channel, row, column) order are either
 * unsigned bytes ({@code pixels}, scaled by 1/255) or floats already in [0, 1] ({@code values});
 * exactly one of the two is set.
 */
public record Example(long id, int label, byte[] pixels, float[] values) implements Serializable {
    /** An example of unsigned-byte pixels. */
    public Example(long id, int label, byte[] pixels) {
        this(id, label, pixels, null);
    }

    /** An example of float values in [0, 1]. */
    public static Example ofValues(long id, int label, float[] values) {
        return new Example(id, label, null, values);
    }

    /** Number of values (channels x rows x columns). */
    public int size() {
        return pixels != null ? pixels.length : values.length;
    }
}
