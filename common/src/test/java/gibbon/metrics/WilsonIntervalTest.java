package gibbon.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WilsonIntervalTest {
    @Test
    void matchesPublishedValues() {
        // Reference values from statsmodels' proportion_confint(method="wilson").
        WilsonInterval half = WilsonInterval.of95(5, 10);
        assertEquals(0.236593, half.low(), 1e-6);
        assertEquals(0.763407, half.high(), 1e-6);
        WilsonInterval none = WilsonInterval.of95(0, 10);
        assertEquals(0.0, none.low(), "exactly 0, not rounding residue");
        assertEquals(0.277533, none.high(), 1e-6);
        WilsonInterval all = WilsonInterval.of95(10, 10);
        assertEquals(0.722467, all.low(), 1e-6);
        assertEquals(1.0, all.high(), "exactly 1");
    }

    @Test
    void summaryCountsCleanErrorsAsNotRobust() {
        RobustAccuracy s = RobustAccuracy.of("pgd", "linf", 0.1, 100, 30, 90, 60, 55.0);
        assertEquals(0.30, s.robustAccuracy(), 1e-12);
        assertEquals(0.90, s.cleanAccuracy(), 1e-12);
        assertEquals(0.60, s.accuracyDrop(), 1e-12);
        assertEquals(60.0 / 90, s.attackSuccessRate(), 1e-12);
        assertEquals(0.55, s.meanConfidence(), 1e-12);
    }
}
