package gibbon.jobs;

import ai.djl.Device;
import gibbon.attack.TransferSweep;
import gibbon.config.ExperimentConfig;
import gibbon.metrics.TransferRecord;
import gibbon.model.Classifier;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * The transfer stage on one partition: crafts on one source model, judges on every target (all
 * executor-resident), and yields {@code transfer} rows.
 */
final class TransferPartition implements MapPartitionsFunction<Row, Row> {
    private final ExperimentConfig config;
    private final String runId;
    private final String source;
    private final Map<String, String> sha256;

    TransferPartition(ExperimentConfig config, String runId, String source, Map<String, String> sha256) {
        this.config = config;
        this.runId = runId;
        this.source = source;
        this.sha256 = Map.copyOf(sha256);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Device device = SweepPartition.device(config).device();
        Map<String, Classifier> targets = new LinkedHashMap<>();
        for (String name : config.transferTargets()) {
            targets.put(name, load(name, device));
        }
        TransferSweep sweep = new TransferSweep(source, load(source, device), targets, config.attacks(), config.seed(),
                config.batchSize());
        Iterator<TransferRecord> records = sweep.run(ExampleSource.examples(rows));
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return records.hasNext();
            }

            @Override
            public Row next() {
                return ResultTables.transferRow(runId, records.next(), sha256);
            }
        };
    }

    private Classifier load(String name, Device device) {
        return SweepPartition.lease(config, config.transferModels().get(name), device).classifier();
    }
}
