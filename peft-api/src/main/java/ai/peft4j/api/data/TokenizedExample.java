package ai.peft4j.api.data;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.TrainBatch;

/**
 * A tokenized example: {@code inputIds} and unshifted Hugging Face style {@code labels} of the same
 * length, with {@link TrainBatch#IGNORE} (-100) where no loss is taken (the prompt).
 *
 * <pre>{@code
 * TokenizedExample ex = new TokenizedExample(new int[] {5, 6, 7, 2}, new int[] {-100, -100, 7, 2});
 * }</pre>
 */
public record TokenizedExample(int[] inputIds, int[] labels) {
    public TokenizedExample {
        if (inputIds == null || labels == null || inputIds.length != labels.length || inputIds.length == 0) {
            throw new Peft4jException("a tokenized example needs non-empty input ids and labels of the same length");
        }
    }

    public int length() {
        return inputIds.length;
    }

    /** The number of labels that count in the loss (labels are shifted by one, so label 0 never counts). */
    public int targetCount() {
        int n = 0;
        for (int t = 1; t < labels.length; t++) {
            if (labels[t] != TrainBatch.IGNORE) {
                n++;
            }
        }
        return n;
    }

    /** A whole-sequence example (pre-training): every token after the first is a target. */
    public static TokenizedExample ofSequence(int[] ids) {
        return new TokenizedExample(ids.clone(), ids.clone());
    }
}
