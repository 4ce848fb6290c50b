package gibbon.model;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The executor-resident models: one {@link Classifier} per (model spec, device) per JVM, loaded
 * lazily by the first task that needs it and shared by every later task (DJL's Spark extension does
 * the same with a transient model behind a serializable loader).
 */
public final class ClassifierCache {
    private record Key(ModelSpec spec, Device device) {}

    private static final Map<Key, Classifier> CACHE = new ConcurrentHashMap<>();

    private ClassifierCache() {}

    /** The cached classifier for a model and device, loading it on first use. */
    public static Classifier get(ModelSpec spec, Device device, int threads, Map<String, String> hadoop) {
        TorchRuntime.start(threads);
        return CACHE.computeIfAbsent(new Key(spec, device), key -> new ModelLoader(
                new ModelStore(Path.of(System.getProperty("java.io.tmpdir"), "gibbon-models"), hadoop))
                .load(key.spec(), key.device()));
    }

    /** The cached classifier of a DJL model directory. */
    public static Classifier get(String location, Device device, int threads, Map<String, String> hadoop) {
        return get(ModelSpec.djl(location), device, threads, hadoop);
    }
}
