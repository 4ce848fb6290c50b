package gibbon.jobs;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Prints a progress line for a stage every few seconds: units (examples, or noisy samples when
 * certifying) done of the total, rate and ETA.
 * Running tasks report their count through executor heartbeats, finished tasks through their end
 * event, so progress moves within long partitions too and a failed attempt's work is not counted.
 */
final class ProgressReporter extends SparkListener implements AutoCloseable {
    private static final long PERIOD_MS = 5_000;

    private final SparkContext context;
    private final LongAccumulator counter;
    private final long total;
    private final String stage;
    private final String unit;
    private final PrintStream out;
    private final Map<Long, Long> running = new ConcurrentHashMap<>();
    private final AtomicLong finished = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private final Thread printer;

    ProgressReporter(SparkContext context, LongAccumulator counter, long total, String stage, PrintStream out) {
        this(context, counter, total, stage, "examples", out);
    }

    /** @param unit what the counter counts, plural */
    ProgressReporter(SparkContext context, LongAccumulator counter, long total, String stage, String unit, PrintStream out) {
        this.context = context;
        this.counter = counter;
        this.total = total;
        this.stage = stage;
        this.unit = unit;
        this.out = out;
        context.addSparkListener(this);
        printer = new Thread(this::printPeriodically, "gibbon-progress");
        printer.setDaemon(true);
        printer.start();
    }

    private void printPeriodically() {
        try {
            while (true) {
                Thread.sleep(PERIOD_MS);
                print();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long done() {
        long sum = finished.get();
        for (long v : running.values()) {
            sum += v;
        }
        return Math.min(sum, total);
    }

    private void print() {
        long done = done();
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        String eta = done == 0 ? "--:--" : clock((total - done) / Math.max(rate, 1e-9));
        out.printf("%s: %d/%d %s (%.1f%%), %.1f %s/s, elapsed %s, ETA %s%n", stage, done, total, unit,
                100.0 * done / Math.max(total, 1), rate, unit, clock(seconds), eta);
        out.flush();
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
                : CollectionConverters.asJava(update.accumUpdates())) {
            Long value = valueOf(CollectionConverters.asJava(task._4()));
            if (value != null) {
                running.put((Long) task._1(), value);
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        long taskId = end.taskInfo().taskId();
        running.remove(taskId);
        if (end.taskInfo().successful()) {
            Long value = valueOf(CollectionConverters.asJava(end.taskInfo().accumulables()));
            if (value != null) {
                finished.addAndGet(value);
            }
        }
    }

    private Long valueOf(Iterable<AccumulableInfo> infos) {
        for (AccumulableInfo info : infos) {
            if (info.id() == counter.id() && info.update().isDefined()) {
                return ((Number) info.update().get()).longValue();
            }
        }
        return null;
    }

    @Override
    public void close() {
        printer.interrupt();
        context.removeSparkListener(this);
        finished.set(Math.max(finished.get(), counter.value()));
        running.clear();
        print();
    }
}
