package gibbon.model;

import ai.djl.engine.Engine;

/**
 * Settles the DJL PyTorch engine's process-wide settings before it first loads: offline mode (no
 * model-zoo or native downloads, ever) and libtorch's thread counts. Thread counts matter: libtorch
 * intra-op threads times concurrent tasks above the core count oversubscribe the cores and slow
 * everything (docs/performance.md), so each task slot gets {@code threads} = executor cores / task slots (normally 1).
 */
public final class TorchRuntime {
    public static final String ENGINE = "PyTorch";
    /** The engine once it has started: every task asks, and the natives need checking only once. */
    private static Engine engine;

    private TorchRuntime() {}

    /**
     * Applies the settings if the engine has not started yet; later calls change nothing.
     *
     * @throws gibbon.GibbonException when the classpath has no libtorch natives for this machine
     */
    public static synchronized Engine start(int threads) {
        if (engine != null) {
            return engine;
        }
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        LibtorchNatives.require();
        engine = Engine.getEngine(ENGINE);
        return engine;
    }
}
