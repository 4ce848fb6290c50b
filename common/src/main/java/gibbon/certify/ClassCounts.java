package gibbon.certify;

/** Per-class counts of a base classifier's predictions on noisy copies of one input. */
public final class ClassCounts {
    private ClassCounts() {}

    /** The class counted most often; ties go to the smaller class index, so the answer is reproducible. */
    public static int top(long[] counts) {
        int best = 0;
        for (int c = 1; c < counts.length; c++) {
            if (counts[c] > counts[best]) {
                best = c;
            }
        }
        return best;
    }

    /** The class counted most often after {@code top}; ties as in {@link #top}. */
    public static int runnerUp(long[] counts, int top) {
        int best = top == 0 ? 1 : 0;
        for (int c = 0; c < counts.length; c++) {
            if (c != top && counts[c] > counts[best]) {
                best = c;
            }
        }
        return best;
    }

    /** The total number of samples counted. */
    public static long total(long[] counts) {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }
}
