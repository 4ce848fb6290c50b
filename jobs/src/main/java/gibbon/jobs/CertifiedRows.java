package gibbon.jobs;

import gibbon.certify.Certificate;
import gibbon.certify.ClassCounts;
import gibbon.certify.SmoothedPrediction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Row;

/**
 * Turns one (example, σ)'s merged class counts into its {@code certified} row: CERTIFY from the
 * selection and estimation counts, PREDICT and the smoothed class from the estimation counts.
 */
final class CertifiedRows implements MapFunction<Row, Row> {
    private final String runId;
    private final int numClasses;
    private final long n0;
    private final double alpha;

    CertifiedRows(String runId, int numClasses, long n0, double alpha) {
        this.runId = runId;
        this.numClasses = numClasses;
        this.n0 = n0;
        this.alpha = alpha;
    }

    /** @param merged (example_id, label, sigma, counts: array of (sample_set, class, count)) */
    @Override
    public Row call(Row merged) {
        long[] selection = new long[numClasses];
        long[] estimation = new long[numClasses];
        for (Row c : merged.<Row>getList(3)) {
            (CertifyStage.SELECTION.equals(c.getString(0)) ? selection : estimation)[c.getInt(1)] += c.getLong(2);
        }
        if (ClassCounts.total(selection) != n0) {
            throw new IllegalStateException("example " + merged.getLong(0) + " has " + ClassCounts.total(selection)
                    + " selection samples, not " + n0);
        }
        int label = merged.getInt(1);
        double sigma = merged.getDouble(2);
        Certificate c = Certificate.certify(selection, estimation, sigma, alpha);
        SmoothedPrediction p = SmoothedPrediction.predict(estimation, alpha);
        return new TableRow(ResultTables.CERTIFIED_SCHEMA)
                .set("run_id", runId)
                .set("example_id", merged.getLong(0))
                .set("label", label)
                .set("sigma", sigma)
                .set("predicted", c.abstained() ? null : c.predicted())
                .set("abstained", c.abstained())
                .set("correct", c.correct(label))
                .set("radius", c.abstained() ? null : c.radius())
                .set("p_a_lower", c.pALower())
                .set("n_a", c.nA())
                .set("n", c.n())
                .set("n0", n0)
                .set("alpha", alpha)
                .set("top_class", c.topClass())
                .set("smoothed_class", ClassCounts.top(estimation))
                .set("predict", p.abstained() ? null : p.predicted())
                .set("predict_p_value", p.pValue())
                .build();
    }
}
