package gibbon.data;

import gibbon.GibbonException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Adversarial inputs as an Arrow IPC file: one row per (example, attack, epsilon) with the tensor
 * as a fixed-size list of float32 (channels x rows x columns, row-major), the shape in the schema
 * metadata ({@code gibbon.shape}). pyarrow reads it directly; Gibbon reads it back as a dataset
 * ({@code dataset.format = arrow}).
 */
public final class TensorArrowFile {
    /** Schema metadata key of the tensor shape, e.g. {@code "1,28,28"}. */
    public static final String SHAPE_KEY = "gibbon.shape";
    private static final int BATCH = 256;

    /**
     * One stored adversarial input.
     *
     * @param tensor float32 values in [0, 1], (channels, rows, columns) flattened
     */
    public record Entry(long exampleId, int label, String attack, String norm, double epsilon, int predicted,
            float confidence, float[] tensor) {}

    private TensorArrowFile() {}

    /**
     * Writes entries of one shape, in batches, so a large export never sits in memory whole.
     *
     * @param metadata extra schema metadata (run id, class names), stored beside the shape
     * @return the number of rows written
     */
    public static long write(Path file, int[] shape, Map<String, String> metadata, Iterator<Entry> entries) throws IOException {
        int size = shape[0] * shape[1] * shape[2];
        Map<String, String> meta = new TreeMap<>(metadata);
        meta.put(SHAPE_KEY, shape[0] + "," + shape[1] + "," + shape[2]);
        Schema schema = new Schema(List.of(
                Field.notNullable("example_id", new ArrowType.Int(64, true)),
                Field.notNullable("label", new ArrowType.Int(32, true)),
                Field.notNullable("attack", ArrowType.Utf8.INSTANCE),
                Field.notNullable("norm", ArrowType.Utf8.INSTANCE),
                Field.notNullable("epsilon", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                Field.notNullable("predicted", new ArrowType.Int(32, true)),
                Field.notNullable("confidence", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
                new Field("tensor", FieldType.notNullable(new ArrowType.FixedSizeList(size)), List.of(
                        Field.notNullable("value", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE))))),
                meta);
        long rows = 0;
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
            writer.start();
            List<Entry> batch = new ArrayList<>(BATCH);
            while (entries.hasNext()) {
                Entry e = entries.next();
                if (e.tensor().length != size) {
                    throw new IllegalArgumentException("example " + e.exampleId() + " has " + e.tensor().length
                            + " values, the shape " + Arrays.toString(shape) + " " + size);
                }
                batch.add(e);
                if (batch.size() == BATCH || !entries.hasNext()) {
                    fill(root, batch, size);
                    writer.writeBatch();
                    rows += batch.size();
                    batch.clear();
                }
            }
            writer.end();
        }
        return rows;
    }

    private static void fill(VectorSchemaRoot root, List<Entry> batch, int size) {
        root.allocateNew();
        BigIntVector ids = (BigIntVector) root.getVector("example_id");
        IntVector labels = (IntVector) root.getVector("label");
        VarCharVector attacks = (VarCharVector) root.getVector("attack");
        VarCharVector norms = (VarCharVector) root.getVector("norm");
        Float8Vector epsilons = (Float8Vector) root.getVector("epsilon");
        IntVector predicted = (IntVector) root.getVector("predicted");
        Float4Vector confidence = (Float4Vector) root.getVector("confidence");
        FixedSizeListVector tensors = (FixedSizeListVector) root.getVector("tensor");
        Float4Vector values = (Float4Vector) tensors.getDataVector();
        values.allocateNew(batch.size() * size);
        for (int i = 0; i < batch.size(); i++) {
            Entry e = batch.get(i);
            ids.setSafe(i, e.exampleId());
            labels.setSafe(i, e.label());
            attacks.setSafe(i, e.attack().getBytes(StandardCharsets.UTF_8));
            norms.setSafe(i, e.norm().getBytes(StandardCharsets.UTF_8));
            epsilons.setSafe(i, e.epsilon());
            predicted.setSafe(i, e.predicted());
            confidence.setSafe(i, e.confidence());
            tensors.setNotNull(i);
            for (int j = 0; j < size; j++) {
                values.set(i * size + j, e.tensor()[j]);
            }
        }
        values.setValueCount(batch.size() * size);
        root.setRowCount(batch.size());
    }

    /** What a file holds: its shape, metadata and entries. */
    public record Contents(int[] shape, Map<String, String> metadata, List<Entry> entries) {}

    /** Reads a whole file; a file that is not such an Arrow file fails naming it. */
    public static Contents read(Path file) {
        try (BufferAllocator allocator = new RootAllocator();
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            Map<String, String> meta = root.getSchema().getCustomMetadata();
            String shapeText = meta == null ? null : meta.get(SHAPE_KEY);
            if (shapeText == null || root.getSchema().findField("tensor") == null) {
                throw GibbonException.data(file + ": an Arrow file without " + SHAPE_KEY + " metadata or a tensor column;"
                        + " write one with gibbon export");
            }
            int[] shape = Arrays.stream(shapeText.split(",")).mapToInt(Integer::parseInt).toArray();
            int size = shape[0] * shape[1] * shape[2];
            List<Entry> entries = new ArrayList<>();
            for (ArrowBlock block : reader.getRecordBlocks()) {
                reader.loadRecordBatch(block);
                FixedSizeListVector tensors = (FixedSizeListVector) root.getVector("tensor");
                Float4Vector values = (Float4Vector) tensors.getDataVector();
                for (int i = 0; i < root.getRowCount(); i++) {
                    float[] tensor = new float[size];
                    for (int j = 0; j < size; j++) {
                        tensor[j] = values.get(i * size + j);
                    }
                    entries.add(new Entry(((BigIntVector) root.getVector("example_id")).get(i),
                            ((IntVector) root.getVector("label")).get(i),
                            new String(((VarCharVector) root.getVector("attack")).get(i), StandardCharsets.UTF_8),
                            new String(((VarCharVector) root.getVector("norm")).get(i), StandardCharsets.UTF_8),
                            ((Float8Vector) root.getVector("epsilon")).get(i), ((IntVector) root.getVector("predicted")).get(i),
                            ((Float4Vector) root.getVector("confidence")).get(i), tensor));
                }
            }
            return new Contents(shape, Map.copyOf(meta), entries);
        } catch (IOException | RuntimeException e) {
            if (e instanceof GibbonException g) {
                throw g;
            }
            throw GibbonException.data(file + ": not a readable Arrow IPC file (" + e.getMessage() + ")");
        }
    }
}
