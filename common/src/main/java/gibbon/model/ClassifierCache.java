package gibbon.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import gibbon.GibbonException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor-resident models: one {@link Classifier} per (model spec, device) per JVM, loaded
 * lazily by the first task that needs it and shared by every later task (DJL's Spark extension does
 * the same with a transient model behind a serializable loader).
 *
 * <p>The cache holds models up to a budget in bytes ({@code sweep.model-cache-bytes}; 0 = no
 * limit). A model's size is its resident parameter bytes: the element count times the element size
 * of every parameter array the network holds (for a DJL block that includes BatchNorm's running
 * statistics; for a TorchScript module its parameters as libtorch lists them). libtorch's own
 * allocations and each batch's activations are not counted. When a newly loaded model takes the
 * cache over its budget, the least recently used models are evicted, idle ones first; a model whose
 * size is known beforehand has idle models evicted before it loads. A task holds
 * its model through a {@link Lease}: several tasks of an executor share a model at once, and an
 * evicted model is closed only when its last lease is released.
 *
 * <p>A {@link Classifier} runs one pass at a time (concurrent passes through one libtorch network
 * gave wrong values), so tasks sharing one copy of a model take turns. With {@code replicas} above
 * 1 ({@code sweep.model-replicas}) a task that finds every copy busy loads another, up to that
 * many, and the executor's tasks run their passes in parallel; each copy counts against the budget.
 */
public final class ClassifierCache {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierCache.class);
    /** The config key of the budget, named in the over-budget error. */
    public static final String BUDGET_KEY = "sweep.model-cache-bytes";

    /** A copy of a model on a device; copy 0 unless {@code sweep.model-replicas} allows more. */
    private record Key(ModelSpec spec, Device device, int replica) {}

    /** One model in the cache, or evicted while a lease still holds it. */
    private static final class Entry {
        private final Key key;
        private final CompletableFuture<Classifier> loaded = new CompletableFuture<>();
        private Classifier classifier;
        private long bytes;
        private int leases;
        private boolean evicted;

        private Entry(Key key) {
            this.key = key;
        }
    }

    /** The JVM's cache, which every task of an executor shares. */
    private static final ClassifierCache SHARED = new ClassifierCache(0);

    /** Access order: iteration starts at the least recently leased model. */
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Key, Long> loads = new HashMap<>();
    private long budgetBytes;
    /** Bytes of the models in {@link #entries}. */
    private long cachedBytes;
    /** Bytes of every open model: cached, or evicted but still leased. */
    private long residentBytes;
    private long peakBytes;

    /** @param budgetBytes the most bytes of models to keep; 0 = no limit */
    public ClassifierCache(long budgetBytes) {
        setBudget(budgetBytes);
    }

    /** The JVM's shared cache. */
    public static ClassifierCache shared() {
        return SHARED;
    }

    /**
     * A lease on the shared cache's classifier for a model and device, loading it on first use.
     * Release it (close the lease) when the task is done with the model.
     *
     * @param budgetBytes the cache's budget from now on (the tasks of one job all pass the same); 0 = no limit
     */
    public static Lease lease(ModelSpec spec, Device device, int threads, Map<String, String> hadoop, long budgetBytes) {
        return lease(spec, device, threads, hadoop, budgetBytes, 0);
    }

    /**
     * As {@link #lease(ModelSpec, Device, int, Map, long)} for a model of known size, which makes
     * room for it before it loads.
     *
     * @param expectedBytes the model's resident bytes as measured elsewhere; 0 = unknown
     */
    public static Lease lease(ModelSpec spec, Device device, int threads, Map<String, String> hadoop, long budgetBytes,
            long expectedBytes) {
        return lease(spec, device, threads, hadoop, budgetBytes, expectedBytes, 1);
    }

    /**
     * As {@link #lease(ModelSpec, Device, int, Map, long, long)}, with up to {@code replicas} copies
     * of the model, so that concurrent tasks need not take turns on one.
     */
    public static Lease lease(ModelSpec spec, Device device, int threads, Map<String, String> hadoop, long budgetBytes,
            long expectedBytes, int replicas) {
        TorchRuntime.start(threads);
        SHARED.setBudget(budgetBytes);
        return SHARED.lease(spec, device, replicas, expectedBytes, () -> loader(hadoop).load(spec, device));
    }

    /**
     * A classifier of its own, outside every cache and not counted as a load: for a check on the
     * driver that closes it right after. Refused as a cached one would be when it alone is larger
     * than {@code budgetBytes} (0 = no limit).
     */
    public static Classifier loadUncached(ModelSpec spec, Device device, int threads, Map<String, String> hadoop,
            long budgetBytes) {
        TorchRuntime.start(threads);
        Classifier classifier = loader(hadoop).load(spec, device);
        long bytes = residentBytes(classifier);
        if (budgetBytes > 0 && bytes > budgetBytes) {
            classifier.close();
            throw overBudget(classifier, bytes, budgetBytes);
        }
        return classifier;
    }

    private static ModelLoader loader(Map<String, String> hadoop) {
        return new ModelLoader(new ModelStore(Path.of(System.getProperty("java.io.tmpdir"), "gibbon-models"), hadoop));
    }

    private static GibbonException overBudget(Classifier classifier, long bytes, long budgetBytes) {
        return GibbonException.config("config key '" + BUDGET_KEY + "': " + classifier.location() + " holds " + bytes
                + " bytes (" + mib(bytes) + ") of parameters, more than the model cache budget of " + budgetBytes + " bytes");
    }

    /**
     * The shared cache's classifier for a model and device, held for the rest of the JVM's life:
     * never closed, even if a budget evicts it. For tests and tools that use one model throughout.
     */
    public static Classifier get(ModelSpec spec, Device device, int threads, Map<String, String> hadoop) {
        TorchRuntime.start(threads);
        return SHARED.lease(spec, device, () -> loader(hadoop).load(spec, device)).classifier();
    }

    /** The cached classifier of a DJL model directory, held as {@link #get(ModelSpec, Device, int, Map)} holds it. */
    public static Classifier get(String location, Device device, int threads, Map<String, String> hadoop) {
        return get(ModelSpec.djl(location), device, threads, hadoop);
    }

    /** Sets the budget; models over it are evicted by the next load. */
    public synchronized void setBudget(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("model cache budget " + bytes + " < 0");
        }
        budgetBytes = bytes;
    }

    /**
     * A lease on the classifier for a model and device: the cached one, or one that {@code load}
     * makes now, while tasks asking for the same model meanwhile wait for it.
     *
     * @throws GibbonException of kind CONFIG when the model alone is larger than the budget
     */
    public Lease lease(ModelSpec spec, Device device, Supplier<Classifier> load) {
        return lease(spec, device, 1, 0, load);
    }

    /**
     * As {@link #lease(ModelSpec, Device, Supplier)}, for a model whose size is known beforehand
     * (measured on the driver): idle models are evicted before it loads, as far as its room needs,
     * so that the models open at once stay within the budget.
     *
     * @param replicas the most copies of the model to hold: a lease takes an idle copy, else loads
     *     a new one while there are fewer than this, else shares the copy with the fewest leases
     * @param expectedBytes the model's resident bytes; 0 = unknown, room is made after it loads
     */
    public Lease lease(ModelSpec spec, Device device, int replicas, long expectedBytes, Supplier<Classifier> load) {
        if (replicas < 1) {
            throw new IllegalArgumentException("model replicas " + replicas + " < 1");
        }
        Entry entry;
        boolean loading;
        synchronized (this) {
            Key key = pick(spec, device, replicas);
            entry = entries.get(key);
            loading = entry == null;
            if (loading) {
                if (expectedBytes > 0) {
                    evictIdleOver(budgetBytes - expectedBytes);
                }
                entry = new Entry(key);
                entries.put(key, entry);
            }
            entry.leases++;
        }
        if (loading) {
            admit(entry, load);
        }
        try {
            entry.loaded.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        return new Lease(entry, loading);
    }

    /** The copy a new lease takes: an idle loaded one, else a copy not yet made, else the least leased. */
    private Key pick(ModelSpec spec, Device device, int replicas) {
        Key fresh = null;
        Key shared = null;
        int fewest = Integer.MAX_VALUE;
        for (int r = 0; r < replicas; r++) {
            Key key = new Key(spec, device, r);
            Entry e = entries.get(key);
            if (e == null) {
                fresh = fresh == null ? key : fresh;
            } else if (e.leases == 0 && e.classifier != null) {
                return key;
            } else if (e.leases < fewest) {
                fewest = e.leases;
                shared = key;
            }
        }
        return fresh != null ? fresh : shared;
    }

    /** Loads the entry's model and makes room for it, or fails every task waiting for it. */
    private void admit(Entry entry, Supplier<Classifier> load) {
        Classifier classifier;
        try {
            classifier = load.get();
        } catch (RuntimeException e) {
            synchronized (this) {
                entries.remove(entry.key, entry);
            }
            entry.loaded.completeExceptionally(e);
            return;
        }
        long bytes = residentBytes(classifier);
        synchronized (this) {
            if (budgetBytes > 0 && bytes > budgetBytes) {
                entries.remove(entry.key, entry);
                classifier.close();
                entry.loaded.completeExceptionally(overBudget(classifier, bytes, budgetBytes));
                return;
            }
            entry.classifier = classifier;
            entry.bytes = bytes;
            loads.merge(entry.key, 1L, Long::sum);
            cachedBytes += bytes;
            residentBytes += bytes;
            peakBytes = Math.max(peakBytes, residentBytes);
            evictOver(entry);
        }
        entry.loaded.complete(classifier);
    }

    /** Evicts least recently used idle models until the cached ones take at most {@code bytes}. */
    private void evictIdleOver(long bytes) {
        if (budgetBytes == 0) {
            return;
        }
        for (Entry e : List.copyOf(entries.values())) {
            if (cachedBytes <= bytes) {
                return;
            }
            if (e.classifier != null && e.leases == 0) {
                evict(e);
            }
        }
    }

    private void evict(Entry victim) {
        entries.remove(victim.key);
        cachedBytes -= victim.bytes;
        victim.evicted = true;
        LOG.info("model cache: evicting {} ({}; budget {}, {} cached after it){}", victim.classifier.location(),
                mib(victim.bytes), mib(budgetBytes), mib(cachedBytes),
                victim.leases > 0 ? ", closed when its " + victim.leases + " running task(s) release it" : "");
        if (victim.leases == 0) {
            close(victim);
        }
    }

    /** Evicts least recently used models, idle ones first, until the cache is within its budget. */
    private void evictOver(Entry admitted) {
        while (budgetBytes > 0 && cachedBytes > budgetBytes) {
            Entry victim = null;
            for (Entry e : entries.values()) {
                if (e != admitted && e.classifier != null && (victim == null || victim.leases > 0 && e.leases == 0)) {
                    victim = e;
                }
            }
            if (victim == null) {
                return;
            }
            evict(victim);
        }
    }

    /**
     * Evicts and closes every cached model no task holds, as a JVM that goes on to other work
     * would; returns how many.
     */
    public synchronized int evictIdle() {
        List<Entry> idle = entries.values().stream().filter(e -> e.classifier != null && e.leases == 0).toList();
        idle.forEach(this::evict);
        return idle.size();
    }

    private synchronized void release(Entry entry) {
        entry.leases--;
        if (entry.leases == 0 && entry.evicted) {
            close(entry);
        }
    }

    private void close(Entry entry) {
        entry.classifier.close();
        residentBytes -= entry.bytes;
    }

    /** Times this cache has loaded a model for a device, every copy counted. */
    public synchronized long loads(ModelSpec spec, Device device) {
        return loads.entrySet().stream().filter(e -> e.getKey().spec().equals(spec) && e.getKey().device().equals(device))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** Bytes of every open model: cached, or evicted but still leased. */
    public synchronized long residentBytes() {
        return residentBytes;
    }

    /** The most bytes of models open at once since the cache was made. */
    public synchronized long peakBytes() {
        return peakBytes;
    }

    /** The URIs of the cached models, least recently used first. */
    public synchronized List<String> cached() {
        List<String> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.classifier != null) {
                out.add(e.key.spec().uri());
            }
        }
        return out;
    }

    /** A model's resident size: the bytes of its parameter arrays. */
    public static long residentBytes(Classifier classifier) {
        long bytes = 0;
        for (NDArray w : classifier.weights()) {
            bytes += w.size() * w.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    /** Bytes in MiB, two decimals. */
    public static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
    }

    /** A task's hold on a cached model; closing it releases the hold (once). */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private final boolean loaded;
        private boolean released;

        private Lease(Entry entry, boolean loaded) {
            this.entry = entry;
            this.loaded = loaded;
        }

        public Classifier classifier() {
            return entry.classifier;
        }

        /** Whether this lease loaded the model, rather than finding it cached. */
        public boolean loaded() {
            return loaded;
        }

        /** The model's resident parameter bytes. */
        public long bytes() {
            return entry.bytes;
        }

        @Override
        public synchronized void close() {
            if (!released) {
                released = true;
                release(entry);
            }
        }
    }
}
