package gibbon.model;

import ai.djl.Device;
import gibbon.GibbonException;
import java.util.Optional;

/**
 * Picks the device a task runs its model on, from the config's {@code model.device} and the GPU
 * address the cluster manager assigned to the task (Spark's resource scheduling), if any.
 */
public final class DeviceChoice {
    private DeviceChoice() {}

    /**
     * @param setting {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}
     * @param assignedGpu the GPU address Spark assigned to the task, if it assigned one
     */
    public static Device choose(String setting, Optional<String> assignedGpu) {
        if (setting.equals("cpu")) {
            return Device.cpu();
        }
        if (setting.startsWith("gpu:")) {
            return Device.gpu(Integer.parseInt(setting.substring(4)));
        }
        if (assignedGpu.isPresent()) {
            String address = assignedGpu.get().trim();
            if (!address.matches("\\d+")) {
                throw GibbonException.config("model.device: the task's assigned GPU address '" + address
                        + "' is not a device index");
            }
            return Device.gpu(Integer.parseInt(address));
        }
        if (setting.equals("gpu")) {
            return Device.gpu(0);
        }
        return Device.cpu();
    }
}
