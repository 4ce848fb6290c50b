package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import gibbon.GibbonException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model cache with a budget, on real models loaded by the real {@link ModelLoader}: least
 * recently used models go first, a model a task still holds stays open until released, loads are
 * counted, and a model larger than the whole budget is refused in one line naming the key.
 */
class ClassifierCacheTest {
    private static final String DIR = "common/src/test/resources/torchscript/";
    private static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");
    private static final ModelSpec CNN = ModelSpec.djl(Path.of("bundled/models/fashion-cnn").toAbsolutePath().toString());
    private static final ModelSpec BN = ModelSpec.torchscript(Path.of(DIR + "fashion_bn_cnn.pt").toAbsolutePath().toString(),
            List.of(1, 28, 28), CLASSES);
    private static final ModelSpec VIEW = ModelSpec.torchscript(Path.of(DIR + "view_cnn.pt").toAbsolutePath().toString(),
            List.of(1, 28, 28), CLASSES);
    private static final ModelSpec RGB = ModelSpec.torchscript(Path.of(DIR + "rgb_cnn.pt").toAbsolutePath().toString(),
            List.of(3, 32, 32), CLASSES);
    private static final Device CPU = Device.cpu();

    @TempDir
    static Path store;

    private static long bnBytes;
    private static long viewBytes;
    private static long rgbBytes;
    private final AtomicInteger loaderCalls = new AtomicInteger();

    @BeforeAll
    static void sizes() {
        TorchRuntime.start(1);
        ClassifierCache sizing = new ClassifierCache(0);
        try (ClassifierCache.Lease bn = sizing.lease(BN, CPU, () -> load(BN));
                ClassifierCache.Lease view = sizing.lease(VIEW, CPU, () -> load(VIEW));
                ClassifierCache.Lease rgb = sizing.lease(RGB, CPU, () -> load(RGB))) {
            bnBytes = bn.bytes();
            viewBytes = view.bytes();
            rgbBytes = rgb.bytes();
            bn.classifier().close();
            view.classifier().close();
            rgb.classifier().close();
        }
    }

    private static Classifier load(ModelSpec spec) {
        return new ModelLoader(new ModelStore(store, Map.of())).load(spec, CPU);
    }

    private ClassifierCache.Lease lease(ClassifierCache cache, ModelSpec spec) {
        return cache.lease(spec, CPU, () -> {
            loaderCalls.incrementAndGet();
            return load(spec);
        });
    }

    private static boolean closed(ClassifierCache.Lease lease) {
        return lease.classifier().weights().get(0).isReleased();
    }

    @Test
    void sizesAreTheParameterBytes() {
        System.out.printf("resident parameter bytes: bn-cnn %d, view-cnn %d, rgb-cnn %d%n", bnBytes, viewBytes, rgbBytes);
        // The fixture's BatchNorm CNN: 4-byte floats, at least its 9 kB of convolution weights and far
        // below its 450 kB file's share.
        assertTrue(bnBytes > 9_000 && bnBytes < 450_000, "bn-cnn " + bnBytes);
        assertTrue(viewBytes > 0 && viewBytes < 40_000, "view-cnn " + viewBytes);
        assertEquals(0, bnBytes % 4);
    }

    @Test
    void theLeastRecentlyUsedIdleModelIsEvictedAndClosed() {
        // Room for any two of the three models, not for all three.
        ClassifierCache cache = new ClassifierCache(bnBytes + viewBytes + rgbBytes - 1);
        ClassifierCache.Lease bn = lease(cache, BN);
        bn.close();
        ClassifierCache.Lease view = lease(cache, VIEW);
        view.close();
        ClassifierCache.Lease bnAgain = lease(cache, BN); // bn is now the most recently used
        bnAgain.close();
        assertFalse(bnAgain.loaded());
        assertEquals(List.of(VIEW.uri(), BN.uri()), cache.cached());
        lease(cache, RGB).close();
        assertEquals(List.of(BN.uri(), RGB.uri()), cache.cached());
        assertTrue(closed(view));
        assertFalse(closed(bn));
        assertEquals(bnBytes + rgbBytes, cache.residentBytes());
        assertEquals(3, loaderCalls.get());
    }

    @Test
    void theCnnOverBudgetForThreeSmallModelsEvictsThemAll() {
        ClassifierCache cache = new ClassifierCache(1_700_000);
        lease(cache, BN).close();
        lease(cache, VIEW).close();
        try (ClassifierCache.Lease cnn = lease(cache, CNN)) {
            assertTrue(cnn.bytes() > 1_600_000 && cnn.bytes() <= 1_700_000, "the CNN's 1.7 MB parameter file: " + cnn.bytes());
        }
        assertEquals(List.of(CNN.uri()), cache.cached());
    }

    @Test
    void onlyTheOlderModelGoesWhenTheNewOneFitsBesideTheOther() {
        ClassifierCache cache = new ClassifierCache(2 * Math.max(bnBytes, viewBytes));
        ClassifierCache.Lease first = lease(cache, VIEW);
        first.close();
        lease(cache, BN).close();
        ClassifierCache.Lease again = lease(cache, VIEW);
        again.close();
        assertFalse(again.loaded());
        assertEquals(List.of(BN.uri(), VIEW.uri()), cache.cached());
        assertEquals(2, loaderCalls.get());
    }

    @Test
    void aModelInUseStaysOpenUntilItsLastLeaseIsReleased() {
        ClassifierCache cache = new ClassifierCache(Math.max(bnBytes, viewBytes));
        ClassifierCache.Lease first = lease(cache, BN);
        ClassifierCache.Lease second = lease(cache, BN);
        assertTrue(first.loaded());
        assertFalse(second.loaded());
        try (ClassifierCache.Lease view = lease(cache, VIEW)) {
            // bn is evicted to make room, but two tasks still run on it.
            assertEquals(List.of(VIEW.uri()), cache.cached());
            assertEquals(bnBytes + viewBytes, cache.residentBytes());
            first.close();
            assertFalse(closed(second));
            try (NDManager batch = second.classifier().newBatchManager()) {
                assertEquals(new Shape(2, 10), second.classifier().logits(batch.zeros(new Shape(2, 1, 28, 28))).getShape());
            }
            second.close();
            assertTrue(closed(second));
            assertEquals(viewBytes, cache.residentBytes());
            assertFalse(closed(view));
        }
        assertEquals(bnBytes + viewBytes, cache.peakBytes());
    }

    @Test
    void loadsAreCountedOncePerModelWhileCached() throws Exception {
        ClassifierCache cache = new ClassifierCache(Math.max(bnBytes, viewBytes));
        ExecutorService tasks = Executors.newFixedThreadPool(4);
        try {
            List<Future<ClassifierCache.Lease>> leases = List.of(tasks.submit(() -> lease(cache, BN)),
                    tasks.submit(() -> lease(cache, BN)), tasks.submit(() -> lease(cache, BN)),
                    tasks.submit(() -> lease(cache, BN)));
            int loaded = 0;
            for (Future<ClassifierCache.Lease> f : leases) {
                ClassifierCache.Lease l = f.get();
                loaded += l.loaded() ? 1 : 0;
                l.close();
            }
            assertEquals(1, loaded, "four concurrent tasks, one load");
        } finally {
            tasks.shutdown();
        }
        assertEquals(1, cache.loads(BN, CPU));
        lease(cache, VIEW).close(); // evicts bn
        lease(cache, BN).close();
        assertEquals(2, cache.loads(BN, CPU));
        assertEquals(1, cache.loads(VIEW, CPU));
        assertEquals(3, loaderCalls.get());
    }

    @Test
    void aModelOfKnownSizeHasIdleModelsEvictedBeforeItLoads() {
        ClassifierCache cache = new ClassifierCache(bnBytes + viewBytes - 1);
        ClassifierCache.Lease bn = lease(cache, BN);
        bn.close();
        try (ClassifierCache.Lease view = cache.lease(VIEW, CPU, 1, viewBytes, () -> {
            assertTrue(closed(bn), "bn is closed before view loads");
            return load(VIEW);
        })) {
            assertEquals(List.of(VIEW.uri()), cache.cached());
        }
        assertEquals(bnBytes, cache.peakBytes(), "never both at once");
        ClassifierCache unknown = new ClassifierCache(bnBytes + viewBytes - 1);
        lease(unknown, BN).close();
        lease(unknown, VIEW).close();
        assertEquals(bnBytes + viewBytes, unknown.peakBytes(), "without a size, room is made after the load");
    }

    @Test
    void aModelLargerThanTheWholeBudgetIsRefusedInOneLine() {
        ClassifierCache cache = new ClassifierCache(bnBytes - 1);
        GibbonException e = assertThrows(GibbonException.class, () -> lease(cache, BN));
        assertEquals(GibbonException.Kind.CONFIG, e.kind());
        assertTrue(e.getMessage().startsWith("config key 'sweep.model-cache-bytes': "), e.getMessage());
        assertTrue(e.getMessage().contains("fashion_bn_cnn.pt holds " + bnBytes + " bytes"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertEquals(List.of(), cache.cached());
        assertEquals(0, cache.residentBytes());
        // The next lease tries again rather than finding a failed entry.
        assertThrows(GibbonException.class, () -> lease(cache, BN));
        assertEquals(2, loaderCalls.get());
    }

    @Test
    void replicasGiveBusyTasksCopiesOfTheirOwnUpToTheLimitAndCountInTheBudget() {
        ClassifierCache cache = new ClassifierCache(2 * bnBytes);
        java.util.function.Supplier<Classifier> counted = () -> {
            loaderCalls.incrementAndGet();
            return load(BN);
        };
        try (ClassifierCache.Lease first = cache.lease(BN, CPU, 2, 0, counted);
                ClassifierCache.Lease second = cache.lease(BN, CPU, 2, 0, counted)) {
            assertTrue(first.loaded() && second.loaded());
            assertFalse(first.classifier() == second.classifier(), "a busy copy gets a second task a copy of its own");
            assertEquals(2 * bnBytes, cache.residentBytes());
            try (ClassifierCache.Lease third = cache.lease(BN, CPU, 2, 0, counted)) {
                assertFalse(third.loaded(), "at the limit of copies a task shares one");
                assertTrue(third.classifier() == first.classifier() || third.classifier() == second.classifier());
            }
        }
        try (ClassifierCache.Lease again = cache.lease(BN, CPU, 2, 0, counted)) {
            assertFalse(again.loaded(), "an idle copy is taken before another is made");
        }
        assertEquals(2, cache.loads(BN, CPU));
        assertEquals(2, loaderCalls.get());
        // Each copy counts against the budget: a smaller one evicts the first copy when the second loads.
        ClassifierCache tight = new ClassifierCache(bnBytes + bnBytes / 2);
        ClassifierCache.Lease one = tight.lease(BN, CPU, 2, 0, counted);
        ClassifierCache.Lease two = tight.lease(BN, CPU, 2, 0, counted);
        one.close();
        two.close();
        assertEquals(bnBytes, tight.residentBytes());
    }
}
