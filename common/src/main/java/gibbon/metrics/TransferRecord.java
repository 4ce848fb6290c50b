package gibbon.metrics;

import java.io.Serializable;

/**
 * A transfer attack's result on one example: crafted on the source model at (attack, epsilon),
 * judged by the target model. A row of the {@code transfer} table.
 */
public record TransferRecord(long exampleId, int label, String attack, String norm, double epsilon, String source,
        String target, int predicted, boolean correct, float confidence, boolean targetCleanCorrect)
        implements Serializable {}
