package gibbon.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EpsilonSweepTest {
    @Test
    void zeroAndOrderAreDecidedOnce() {
        EpsilonSweep sweep = EpsilonSweep.of(List.of(0.3, 0.0, 0.1));
        assertTrue(sweep.clean());
        assertEquals(List.of(0.1, 0.3), sweep.positive());
        assertEquals(List.of(0.0, 0.1, 0.3), sweep.epsilons());
        assertEquals(3, sweep.size());
        EpsilonSweep noClean = EpsilonSweep.of(List.of(0.2, 0.05));
        assertFalse(noClean.clean());
        assertEquals(List.of(0.05, 0.2), noClean.epsilons());
        assertEquals(List.of(0.0, 0.05, 0.2), EpsilonSweep.withClean(List.of(0.2, 0.05)).epsilons());
        assertEquals(List.of(0.0), EpsilonSweep.withClean(List.of(0.0)).epsilons());
    }

    @Test
    void badValuesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> EpsilonSweep.of(List.of(0.1, 0.1)));
        assertThrows(IllegalArgumentException.class, () -> EpsilonSweep.of(List.of(-0.1)));
        assertThrows(IllegalArgumentException.class, () -> EpsilonSweep.of(List.of(Double.NaN)));
        assertThrows(IllegalArgumentException.class, () -> EpsilonSweep.of(List.of(Double.POSITIVE_INFINITY)));
        assertThrows(IllegalArgumentException.class, () -> new EpsilonSweep(true, List.of(0.2, 0.1)));
        assertThrows(IllegalArgumentException.class, () -> new EpsilonSweep(true, List.of(0.0, 0.1)));
    }
}
