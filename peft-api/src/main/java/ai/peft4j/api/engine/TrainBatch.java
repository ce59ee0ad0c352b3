package ai.peft4j.api.engine;

/**
 * A causal-LM training batch: ids, mask and labels, all {@code [b][s]}; label -100 is ignored.
 * Labels are not shifted: position t predicts label t+1, as in Hugging Face.
 *
 * <pre>{@code
 * TrainBatch batch = new TrainBatch(ids, mask, labels);
 * }</pre>
 */
public record TrainBatch(int[][] inputIds, int[][] attentionMask, int[][] labels) {
    /** The label value that is excluded from the loss. */
    public static final int IGNORE = -100;

    /** The number of (shifted) labels that count in the loss without a soft prompt. */
    public int targetCount() {
        return targetCount(0);
    }

    /**
     * The number of labels that count in the loss; with a soft prompt of {@code prefix} positions
     * the first label counts too (the last virtual token predicts it, as in PEFT).
     */
    public int targetCount(int prefix) {
        int n = 0;
        for (int[] row : labels) {
            for (int t = prefix > 0 ? 0 : 1; t < row.length; t++) {
                if (row[t] != IGNORE) {
                    n++;
                }
            }
        }
        return n;
    }
}
