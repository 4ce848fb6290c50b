package gibbon.config;

import com.typesafe.config.Config;
import gibbon.GibbonException;
import java.io.Serializable;
import java.util.List;

/**
 * The {@code certify} part of an experiment config: randomized smoothing certification (Cohen,
 * Rosenfeld and Kolter 2019) of the run's examples, see {@code gibbon.certify}.
 *
 * @param enabled whether the run certifies at all
 * @param sigmas the noise levels σ, one certificate per example and σ
 * @param n0 selection samples per certificate
 * @param n estimation samples per certificate
 * @param alpha the certificate's failure probability
 * @param batchSize noisy copies per forward pass
 * @param chunkSize samples per Spark task, a multiple of batchSize
 * @param radii the L2 radii of {@code certified_summary}
 */
public record CertifySettings(boolean enabled, List<Double> sigmas, int n0, int n, double alpha, int batchSize,
        int chunkSize, List<Double> radii) implements Serializable {
    private static final int MAX_BATCH = 65_536;

    /**
     * Reads and checks the {@code certify} keys; they are checked even when certification is off,
     * so a mistake does not wait for the run that turns it on.
     *
     * @param c the config, defaults filled
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    public static CertifySettings parse(Config c) {
        List<Double> sigmas = positiveList(c, Settings.CERTIFY_SIGMA, false);
        if (sigmas.stream().distinct().count() < sigmas.size()) {
            throw GibbonException.config("config key 'certify.sigma' lists a value twice: " + sigmas);
        }
        double alpha = Values.number(c, Settings.CERTIFY_ALPHA).doubleValue();
        if (!(alpha > 0 && alpha < 0.5)) {
            throw GibbonException.config("config key 'certify.alpha' is " + alpha + ", expected a probability in (0, 0.5)");
        }
        int batchSize = Values.positive(c, Settings.CERTIFY_BATCH_SIZE);
        if (batchSize > MAX_BATCH) {
            throw GibbonException.config("config key 'certify.batch-size' is " + batchSize + ", at most " + MAX_BATCH);
        }
        int chunkSize = Values.positive(c, Settings.CERTIFY_CHUNK_SIZE);
        if (chunkSize % batchSize != 0) {
            throw GibbonException.config("config key 'certify.chunk-size' is " + chunkSize + ", expected a multiple of"
                    + " certify.batch-size (" + batchSize + ") so that every chunking runs the same batches");
        }
        return new CertifySettings(Values.bool(c, Settings.CERTIFY_ENABLED), sigmas, Values.positive(c, Settings.CERTIFY_N0),
                Values.positive(c, Settings.CERTIFY_N), alpha, batchSize, chunkSize,
                positiveList(c, Settings.CERTIFY_RADII, true));
    }

    /** A non-empty list of finite numbers above 0 (or at 0, where {@code zero} allows it). */
    private static List<Double> positiveList(Config c, ConfigKey key, boolean zero) {
        List<Double> values = Values.numbers(c, key).stream().map(Number::doubleValue).toList();
        if (values.isEmpty()) {
            throw GibbonException.config("config key '" + key.path() + "' is empty: " + key.doc());
        }
        for (double v : values) {
            if (!(zero ? v >= 0 : v > 0) || Double.isInfinite(v)) {
                throw GibbonException.config("config key '" + key.path() + "' holds " + v + ", expected numbers "
                        + (zero ? "of 0 or more" : "above 0"));
            }
        }
        return values;
    }
}
