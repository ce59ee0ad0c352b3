package ai.peft4j.api.data;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.TrainBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Turns tokenized examples into padded batches, deterministically per (seed, epoch).
 *
 * <p>Each epoch the example order is shuffled with {@code SplittableRandom(seed, epoch)}; the
 * shuffled list is cut into windows of {@code windowBatches × batchSize} examples, each window is
 * sorted by length and cut into batches (so a batch holds examples of similar length and little
 * padding), and finally the batch order is shuffled so that lengths do not rise through the epoch.
 * {@code windowBatches = 1} turns bucketing off. The last batch of an epoch may be smaller.
 *
 * <p>Training batches are padded on the <b>right</b>: the attention mask is 0 and the label -100
 * over the padding, so positions of real tokens are those of the unpadded sequence. (Generation
 * pads on the left; for training either is exact with a correct mask, and right padding keeps
 * absolute positions trivially right.)
 *
 * <pre>{@code
 * LengthBucketBatcher b = new LengthBucketBatcher(data, 8, true, 42, 50, padId);
 * for (int[] batch : b.epochBatches(0)) { TrainBatch tb = b.collate(batch); ... }
 * }</pre>
 */
public final class LengthBucketBatcher {
    private final List<TokenizedExample> examples;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final int windowBatches;
    private final int padTokenId;

    public LengthBucketBatcher(List<TokenizedExample> examples, int batchSize, boolean shuffle, long seed, int windowBatches,
            int padTokenId) {
        if (examples.isEmpty()) {
            throw new Peft4jException("no training examples");
        }
        if (batchSize < 1 || windowBatches < 1) {
            throw new Peft4jException("batch size and bucket window must be at least 1");
        }
        this.examples = List.copyOf(examples);
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.windowBatches = windowBatches;
        this.padTokenId = padTokenId;
    }

    public int size() {
        return examples.size();
    }

    public int batchesPerEpoch() {
        return (examples.size() + batchSize - 1) / batchSize;
    }

    /** The batches of an epoch as example indices; the same for the same (seed, epoch). */
    public List<int[]> epochBatches(int epoch) {
        int n = examples.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        if (shuffle) {
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                Integer t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        List<int[]> batches = new ArrayList<>();
        int window = windowBatches * batchSize;
        for (int w = 0; w < n; w += window) {
            Integer[] win = Arrays.copyOfRange(order, w, Math.min(n, w + window));
            if (windowBatches > 1) {
                // stable sort: ties keep the shuffled order; longest first within the window
                Arrays.sort(win, (a, b) -> Integer.compare(examples.get(b).length(), examples.get(a).length()));
            }
            for (int s = 0; s < win.length; s += batchSize) {
                int e = Math.min(win.length, s + batchSize);
                int[] idx = new int[e - s];
                for (int k = s; k < e; k++) {
                    idx[k - s] = win[k];
                }
                batches.add(idx);
            }
        }
        if (shuffle && windowBatches > 1) {
            Collections.shuffle(batches, new java.util.Random(rnd.nextLong()));
        }
        return batches;
    }

    /** A right-padded batch of the given examples. */
    public TrainBatch collate(int[] indices) {
        List<TokenizedExample> rows = new ArrayList<>(indices.length);
        for (int i : indices) {
            rows.add(examples.get(i));
        }
        return collate(rows, padTokenId);
    }

    /** Right-pads examples into a batch: pad id, mask 0 and label -100 over the padding. */
    public static TrainBatch collate(List<TokenizedExample> rows, int padTokenId) {
        int len = 0;
        for (TokenizedExample r : rows) {
            len = Math.max(len, r.length());
        }
        int b = rows.size();
        int[][] ids = new int[b][len];
        int[][] mask = new int[b][len];
        int[][] labels = new int[b][len];
        for (int i = 0; i < b; i++) {
            TokenizedExample r = rows.get(i);
            int n = r.length();
            System.arraycopy(r.inputIds(), 0, ids[i], 0, n);
            System.arraycopy(r.labels(), 0, labels[i], 0, n);
            Arrays.fill(mask[i], 0, n, 1);
            Arrays.fill(ids[i], n, len, padTokenId);
            Arrays.fill(labels[i], n, len, TrainBatch.IGNORE);
        }
        return new TrainBatch(ids, mask, labels);
    }

    /** A fingerprint of the examples (order-sensitive), so a resumed run can check its data. */
    public long fingerprint() {
        long h = 1125899906842597L;
        for (TokenizedExample e : examples) {
            for (int id : e.inputIds()) {
                h = 31 * h + id;
            }
            for (int l : e.labels()) {
                h = 31 * h + l;
            }
            h = 31 * h + e.length();
        }
        return h;
    }
}
