package gibbon.jobs;

import static org.apache.spark.sql.functions.col;

import gibbon.GibbonException;
import gibbon.data.DatasetSpec;
import gibbon.data.ExampleIds;
import gibbon.data.ImageDecoder;
import gibbon.io.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A folder of PNG/JPEG images with one sub-folder per class, as torchvision's ImageFolder reads it:
 * labels follow the sorted folder names (or {@code dataset.classes}). Executors read the files
 * through Spark's {@code binaryFile} source and decode and resize them to the model's input shape.
 * The example id is a hash of the path relative to the root, so it survives moving the dataset.
 */
final class ImageFolderSource implements ExampleSource {
    private static final String IMAGE_FILES = "*.{png,PNG,jpg,JPG,jpeg,JPEG}";

    private final String root;
    private final List<String> classes;
    private final int[] inputShape;
    private final Dataset<Row> files;
    private final long size;

    ImageFolderSource(SparkSession spark, DatasetSpec spec, int[] inputShape, Map<String, String> hadoop) {
        this.inputShape = inputShape;
        Path rootPath = new Path(Storage.absolute(spec.path()));
        List<String> folders = new ArrayList<>();
        try {
            FileSystem fs = rootPath.getFileSystem(Storage.hadoopConf(hadoop));
            if (!fs.exists(rootPath) || !fs.getFileStatus(rootPath).isDirectory()) {
                throw GibbonException.data(rootPath + ": not found or not a folder (dataset.path)");
            }
            rootPath = fs.makeQualified(rootPath);
            for (FileStatus s : fs.listStatus(rootPath)) {
                if (s.isDirectory()) {
                    folders.add(s.getPath().getName());
                }
            }
        } catch (IOException e) {
            throw GibbonException.data(rootPath + ": cannot list (" + e.getMessage() + ")");
        }
        folders.sort(null);
        if (folders.isEmpty()) {
            throw GibbonException.data(rootPath + ": holds no class sub-folders");
        }
        if (!spec.classes().isEmpty()) {
            for (String f : folders) {
                if (!spec.classes().contains(f)) {
                    throw GibbonException.data(rootPath + "/" + f + ": folder is not in dataset.classes " + spec.classes());
                }
            }
        }
        this.classes = spec.classes().isEmpty() ? folders : spec.classes();
        this.root = rootPath.toUri().getPath();
        this.files = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
                .option("pathGlobFilter", IMAGE_FILES).load(rootPath.toString());
        this.size = files.select("path").count();
        if (size == 0) {
            throw GibbonException.data(rootPath + ": holds no PNG or JPEG images");
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public String uri() {
        return root;
    }

    @Override
    public int[] shape() {
        return null;
    }

    @Override
    public int[] labelRange() {
        return new int[] {0, classes.size() - 1};
    }

    @Override
    public List<String> classNames() {
        return classes;
    }

    @Override
    public Dataset<Row> rows(SparkSession spark, long n, int partitions) {
        Dataset<Row> selected = files.select("path", "content");
        if (n < size) {
            selected = selected.orderBy(col("path")).limit((int) n);
        }
        return selected.repartition(partitions)
                .mapPartitions(new Decode(root, classes, inputShape), Encoders.row(SCHEMA));
    }

    /** Decodes image files into example rows. */
    private record Decode(String root, List<String> classes, int[] shape) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> files) {
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return files.hasNext();
                }

                @Override
                public Row next() {
                    Row file = files.next();
                    String path = new Path(file.getString(0)).toUri().getPath();
                    String relative = path.startsWith(root + "/") ? path.substring(root.length() + 1) : path;
                    int slash = relative.indexOf('/');
                    int label = slash < 0 ? -1 : classes.indexOf(relative.substring(0, slash));
                    if (label < 0) {
                        throw GibbonException.data(path + ": not inside a class folder of " + root + " " + classes);
                    }
                    byte[] pixels = ImageDecoder.decode((byte[]) file.get(1), shape[0], shape[1], shape[2], path);
                    return RowFactory.create(ExampleIds.ofRelativePath(relative), label, pixels, null);
                }
            };
        }
    }

    @Override
    public String toString() {
        return "ImageFolderSource[" + root + ", " + size + " images, classes " + Arrays.toString(classes.toArray()) + "]";
    }
}
