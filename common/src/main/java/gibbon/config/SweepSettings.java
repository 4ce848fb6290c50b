package gibbon.config;

import com.typesafe.config.Config;
import gibbon.GibbonException;
import java.io.Serializable;

/**
 * The {@code sweep} part of an experiment config: how an executor batches its examples and how
 * many bytes of models it keeps.
 *
 * @param batchSize examples per batch
 * @param threads libtorch intra-op threads per task
 * @param modelCacheBytes the most parameter bytes of models an executor keeps loaded; 0 = no limit
 * @param modelReplicas the most copies of one model an executor holds, so that its concurrent tasks
 *     run their passes in parallel instead of in turns
 */
public record SweepSettings(int batchSize, int threads, long modelCacheBytes, int modelReplicas) implements Serializable {
    private static final int MAX_BATCH = 65_536;

    /**
     * Reads and checks the {@code sweep} keys.
     *
     * @param c the config, defaults filled
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    public static SweepSettings parse(Config c) {
        int batchSize = Values.positive(c, Settings.BATCH_SIZE);
        if (batchSize > MAX_BATCH) {
            throw GibbonException.config("config key 'sweep.batch-size' is " + batchSize + ", at most " + MAX_BATCH);
        }
        return new SweepSettings(batchSize, Values.positive(c, Settings.THREADS), Values.bytes(c, Settings.MODEL_CACHE_BYTES),
                Values.positive(c, Settings.MODEL_REPLICAS));
    }
}
