package gibbon.data;

import java.io.Serializable;

/**
 * One labelled image: its stable id (the index in the source file), the label, and the raw pixels
 * as unsigned bytes in row-major (channel, row, column) order.
 */
public record Example(long id, int label, byte[] pixels) implements Serializable {}
