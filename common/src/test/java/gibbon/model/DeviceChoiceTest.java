package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import gibbon.GibbonException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeviceChoiceTest {
    @Test
    void autoFollowsSparksAssignment() {
        assertEquals(Device.gpu(3), DeviceChoice.choose("auto", Optional.of("3")));
        assertEquals(Device.cpu(), DeviceChoice.choose("auto", Optional.empty()));
    }

    @Test
    void explicitSettingsWin() {
        assertEquals(Device.cpu(), DeviceChoice.choose("cpu", Optional.of("1")));
        assertEquals(Device.gpu(2), DeviceChoice.choose("gpu:2", Optional.of("1")));
        assertEquals(Device.gpu(1), DeviceChoice.choose("gpu", Optional.of("1")));
        assertEquals(Device.gpu(0), DeviceChoice.choose("gpu", Optional.empty()));
    }

    @Test
    void rejectsANonNumericAddress() {
        assertThrows(GibbonException.class, () -> DeviceChoice.choose("auto", Optional.of("GPU-5f3a")));
    }
}
