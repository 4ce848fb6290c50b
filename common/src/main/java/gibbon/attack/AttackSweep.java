package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import gibbon.data.Example;
import gibbon.metrics.PredictionRecord;
import gibbon.model.Classifier;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.IntConsumer;

/**
 * Runs every planned attack at every epsilon over a stream of examples, batch by batch, and
 * yields one {@link PredictionRecord} per (example, attack, epsilon). It owns what attacks must not:
 * batching, one NDManager per batch, seeds, and the threat model: whatever an attack returns is
 * projected onto its epsilon-ball and clipped to [0, 1] before it is judged. Epsilon 0 is the
 * clean input itself, so its rows equal the clean prediction.
 */
public final class AttackSweep {
    private final Classifier model;
    private final List<AttackPlan> plans;
    private final List<Attack> attacks;
    private final long runSeed;
    private final int batchSize;
    private final Shape exampleShape;

    public AttackSweep(Classifier model, List<AttackPlan> plans, long runSeed, int batchSize) {
        this.model = model;
        this.plans = List.copyOf(plans);
        this.attacks = plans.stream().map(AttackPlan::create).toList();
        this.runSeed = runSeed;
        this.batchSize = batchSize;
        int[] s = model.metadata().inputShape();
        this.exampleShape = new Shape(s[0], s[1], s[2]);
    }

    /** Number of records each example yields. */
    public int recordsPerExample() {
        return plans.stream().mapToInt(p -> p.epsilons().size()).sum();
    }

    /**
     * Lazily attacks the examples batch by batch.
     *
     * @param onBatchDone called with the number of examples after each batch (progress)
     */
    public Iterator<PredictionRecord> run(Iterator<Example> examples, IntConsumer onBatchDone) {
        return new Iterator<>() {
            private Iterator<PredictionRecord> current = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && examples.hasNext()) {
                    List<Example> batch = new ArrayList<>(batchSize);
                    while (batch.size() < batchSize && examples.hasNext()) {
                        batch.add(examples.next());
                    }
                    current = attackBatch(batch).iterator();
                    onBatchDone.accept(batch.size());
                }
                return current.hasNext();
            }

            @Override
            public PredictionRecord next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }

    /** Attacks one batch; every NDArray it makes dies with the batch's manager. */
    public List<PredictionRecord> attackBatch(List<Example> batch) {
        int n = batch.size();
        int size = (int) exampleShape.size();
        long[] ids = new long[n];
        int[] labels = new int[n];
        boolean allPixels = true;
        for (int i = 0; i < n; i++) {
            Example e = batch.get(i);
            if (e.size() != size) {
                throw new IllegalArgumentException("example " + e.id() + " has " + e.size() + " values, the model expects "
                        + exampleShape);
            }
            ids[i] = e.id();
            labels[i] = e.label();
            allPixels &= e.pixels() != null;
        }
        List<PredictionRecord> out = new ArrayList<>(n * recordsPerExample());
        try (NDManager manager = model.newBatchManager()) {
            NDArray x = allPixels ? pixels(manager, batch, size) : values(manager, batch, size);
            NDArray y = manager.create(labels);
            Judgement clean = judge(model.logits(x), labels);
            for (int a = 0; a < plans.size(); a++) {
                AttackPlan plan = plans.get(a);
                Attack attack = attacks.get(a);
                Norm norm = attack.norm();
                for (double epsilon : plan.epsilons()) {
                    if (epsilon == 0) {
                        addRecords(out, ids, labels, plan.label(), norm, 0.0, clean, clean, new float[n], new float[n]);
                        continue;
                    }
                    try (NDScope scope = new NDScope()) {
                        NDArray adv = adversarial(attack, plan.label(), x, y, ids, epsilon);
                        NDArray delta = adv.sub(x);
                        float[] linf = Norm.LINF.perExample(delta).toFloatArray();
                        float[] l2 = Norm.L2.perExample(delta).toFloatArray();
                        Judgement judged = judge(model.logits(adv), labels);
                        addRecords(out, ids, labels, plan.label(), norm, epsilon, judged, clean, linf, l2);
                    }
                }
            }
        }
        return out;
    }

    /** A batch of byte pixels in [0, 1]: float32 true division by 255, as torchvision's ToTensor does. */
    private NDArray pixels(NDManager manager, List<Example> batch, int size) {
        byte[] bytes = new byte[batch.size() * size];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(batch.get(i).pixels(), 0, bytes, i * size, size);
        }
        return manager.create(ByteBuffer.wrap(bytes), new Shape(batch.size()).addAll(exampleShape), DataType.UINT8)
                .toType(DataType.FLOAT32, false).div(255f);
    }

    /** A batch mixing float values and byte pixels (rare: only some sources give floats). */
    private NDArray values(NDManager manager, List<Example> batch, int size) {
        float[] values = new float[batch.size() * size];
        for (int i = 0; i < batch.size(); i++) {
            Example e = batch.get(i);
            if (e.values() != null) {
                System.arraycopy(e.values(), 0, values, i * size, size);
            } else {
                for (int j = 0; j < size; j++) {
                    values[i * size + j] = (e.pixels()[j] & 0xff) / 255f;
                }
            }
        }
        return manager.create(values, new Shape(batch.size()).addAll(exampleShape));
    }

    /**
     * Runs one attack on a batch and enforces its threat model on the result: projection onto the
     * epsilon-ball around {@code x}, then clipping to [0, 1] (which can only shrink the
     * perturbation, so the result stays in the ball).
     */
    NDArray adversarial(Attack attack, String label, NDArray x, NDArray y, long[] ids, double epsilon) {
        float eps = (float) epsilon;
        ExampleRandom random = ExampleRandom.of(runSeed, ids, label, epsilon);
        NDArray crafted = attack.perturb(model, x, y, eps, random);
        NDArray adv = x.add(attack.norm().project(crafted.sub(x), eps)).clip(0f, 1f);
        crafted.close();
        return adv;
    }

    /** Predictions of a batch as Java arrays: class, its probability, and the true class's. */
    private record Judgement(int[] predicted, float[] confidence, float[] trueClassProb) {}

    private static Judgement judge(NDArray logits, int[] labels) {
        NDArray probs = logits.softmax(1);
        int n = labels.length;
        int classes = (int) probs.getShape().get(1);
        float[] p = probs.toFloatArray();
        int[] predicted = new int[n];
        float[] confidence = new float[n];
        float[] trueProb = new float[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (p[i * classes + c] > p[i * classes + best]) {
                    best = c;
                }
            }
            predicted[i] = best;
            confidence[i] = p[i * classes + best];
            trueProb[i] = p[i * classes + labels[i]];
        }
        return new Judgement(predicted, confidence, trueProb);
    }

    private static void addRecords(List<PredictionRecord> out, long[] ids, int[] labels, String attack, Norm norm,
            double epsilon, Judgement judged, Judgement clean, float[] linf, float[] l2) {
        for (int i = 0; i < ids.length; i++) {
            out.add(new PredictionRecord(ids[i], labels[i], attack, norm.tableName(), epsilon, judged.predicted[i],
                    judged.predicted[i] == labels[i], judged.confidence[i], judged.trueClassProb[i], linf[i], l2[i],
                    clean.predicted[i] == labels[i]));
        }
    }
}
