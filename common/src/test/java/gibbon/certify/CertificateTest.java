package gibbon.certify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** CERTIFY's and PREDICT's decisions on hand-made counts. */
class CertificateTest {
    @Test
    void certifiesTheSelectionsTopClassWithTheEstimationsCount() {
        // Selection says class 2; estimation counts class 2 at 990 of 1000 (class 0 leads nowhere).
        Certificate c = Certificate.certify(new long[] {10, 0, 90}, new long[] {5, 5, 990}, 0.5, 0.001);
        assertEquals(2, c.predicted());
        assertEquals(990, c.nA());
        assertEquals(1000, c.n());
        assertEquals(ClopperPearson.lowerBound(990, 1000, 0.001), c.pALower(), 0);
        assertEquals(0.5 * StandardNormal.quantile(c.pALower()), c.radius(), 1e-15);
        assertTrue(c.radius() > 0);
        assertTrue(c.correct(2));
    }

    @Test
    void abstainsWhenTheBoundIsBelowOneHalf() {
        // 520 of 1000 is a majority, but not one that 1000 samples can vouch for at alpha = 0.001.
        Certificate c = Certificate.certify(new long[] {0, 100}, new long[] {480, 520}, 0.25, 0.001);
        assertTrue(c.abstained());
        assertEquals(1, c.topClass());
        assertTrue(Double.isNaN(c.radius()));
        assertFalse(c.correct(1));
    }

    @Test
    void aSelectionThatPicksTheWrongClassCertifiesNothing() {
        Certificate c = Certificate.certify(new long[] {60, 40}, new long[] {0, 1000}, 0.25, 0.001);
        assertTrue(c.abstained());
        assertEquals(0, c.nA());
        assertEquals(0, c.pALower());
    }

    @Test
    void predictAbstainsOnACloseCall() {
        assertEquals(Certificate.ABSTAIN, SmoothedPrediction.predict(new long[] {50, 48, 2}, 0.001).predicted());
        assertEquals(1, SmoothedPrediction.predict(new long[] {10, 80, 10}, 0.001).predicted());
        assertEquals(1.0, SmoothedPrediction.predict(new long[] {40, 40, 20}, 0.001).pValue());
    }
}
