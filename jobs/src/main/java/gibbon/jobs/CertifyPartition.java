package gibbon.jobs;

import gibbon.certify.GaussianNoise;
import gibbon.certify.SmoothedClassifier;
import gibbon.config.ExperimentConfig;
import gibbon.data.Example;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;

/**
 * The sampling of certification on one partition: each input row is one chunk of one example's
 * noisy samples at one σ (the example's columns, then those of {@link CertifyStage#CHUNK_SCHEMA}); it
 * yields that chunk's class counts, one {@link CertifyStage#COUNT_SCHEMA} row per class seen.
 */
final class CertifyPartition implements MapPartitionsFunction<Row, Row> {
    private final ExperimentConfig config;
    private final LongAccumulator samplesDone;

    CertifyPartition(ExperimentConfig config, LongAccumulator samplesDone) {
        this.config = config;
        this.samplesDone = samplesDone;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> chunks) {
        SmoothedClassifier smoothed = new SmoothedClassifier(SweepPartition.lease(config, config.model(),
                SweepPartition.device(config).device()).classifier(), config.certify().batchSize());
        return new Iterator<>() {
            private Iterator<Row> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && chunks.hasNext()) {
                    current = count(smoothed, chunks.next()).iterator();
                }
                return current.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }

    private List<Row> count(SmoothedClassifier smoothed, Row chunk) {
        Example example = ExampleSource.toExample(chunk);
        double sigma = chunk.getDouble(chunk.fieldIndex("sigma"));
        String set = chunk.getString(chunk.fieldIndex("sample_set"));
        long origin = chunk.getLong(chunk.fieldIndex("origin"));
        long from = chunk.getLong(chunk.fieldIndex("sample_from"));
        long to = chunk.getLong(chunk.fieldIndex("sample_to"));
        long[] counts = smoothed.counts(example, GaussianNoise.of(config.seed(), example.id(), sigma), origin, from, to);
        samplesDone.add(to - from);
        List<Row> rows = new ArrayList<>();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] > 0) {
                rows.add(RowFactory.create(example.id(), example.label(), sigma, set, c, counts[c]));
            }
        }
        return rows;
    }
}
