package ai.peft4j.api.engine;

/**
 * Host-side causal-LM cross-entropy, used by engines that cannot train and by tests.
 *
 * <pre>{@code
 * double sum = CrossEntropy.sum(logits, labels, 0);
 * }</pre>
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /**
     * The summed loss over labels != -100, computed in double precision. As in PEFT, labels are
     * extended with -100 over the {@code prefix} soft-prompt positions and shifted by one, so the
     * last virtual token predicts {@code labels[b][0]}.
     */
    public static double sum(Logits logits, int[][] labels, int prefix) {
        double total = 0;
        int v = logits.vocab();
        for (int b = 0; b < labels.length; b++) {
            for (int t = prefix > 0 ? 0 : 1; t < labels[b].length; t++) {
                int target = labels[b][t];
                if (target == TrainBatch.IGNORE) {
                    continue;
                }
                int base = (b * logits.positions() + prefix + t - 1) * v;
                float[] d = logits.data();
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) {
                    max = Math.max(max, d[base + j]);
                }
                double z = 0;
                for (int j = 0; j < v; j++) {
                    z += Math.exp(d[base + j] - max);
                }
                total += Math.log(z) + max - d[base + target];
            }
        }
        return total;
    }
}
