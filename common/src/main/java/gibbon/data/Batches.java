package gibbon.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/** Cuts a stream of examples into batches and lazily flattens what each batch gives. */
public final class Batches {
    private Batches() {}

    /**
     * @param work turns one batch (at most {@code batchSize} examples) into results; called only
     *     when the previous batch's results are used up, so one batch is in memory at a time
     */
    public static <R> Iterator<R> flatMap(Iterator<Example> examples, int batchSize, Function<List<Example>, List<R>> work) {
        return new Iterator<>() {
            private Iterator<R> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && examples.hasNext()) {
                    List<Example> batch = new ArrayList<>(batchSize);
                    while (batch.size() < batchSize && examples.hasNext()) {
                        batch.add(examples.next());
                    }
                    current = work.apply(batch).iterator();
                }
                return current.hasNext();
            }

            @Override
            public R next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }
}
