package gibbon.data;

import java.io.Serializable;
import java.util.List;

/**
 * Which examples to attack, as the experiment config states it.
 *
 * @param format {@code idx}, {@code image-folder}, {@code parquet} or {@code arrow} (inputs written
 *     by {@code gibbon export})
 * @param images idx: the idx3 images file
 * @param labels idx: the idx1 labels file
 * @param path image-folder: the root with one sub-folder per class; parquet: the table location;
 *     arrow: the Arrow IPC file
 * @param classes image-folder: class folder names in label order (empty: sorted folder names)
 * @param idColumn parquet: the example id column (integer)
 * @param labelColumn parquet: the label column (integer)
 * @param imageColumn parquet: encoded image bytes, or a float array of the input shape in [0, 1]
 * @param limit attack the first N examples by id; 0 = all
 * @param partitions Spark partitions; 0 = enough for every executor core
 */
public record DatasetSpec(String format, String images, String labels, String path, List<String> classes,
        String idColumn, String labelColumn, String imageColumn, int limit, int partitions) implements Serializable {
    public static final String IDX = "idx";
    public static final String IMAGE_FOLDER = "image-folder";
    public static final String PARQUET = "parquet";
    public static final String ARROW = "arrow";
    public static final List<String> FORMATS = List.of(IDX, IMAGE_FOLDER, PARQUET, ARROW);

    public DatasetSpec {
        classes = List.copyOf(classes);
    }
}
