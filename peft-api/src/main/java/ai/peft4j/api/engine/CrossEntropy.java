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
     * The summed loss of predicting {@code labels[b][t+1]} from position {@code prefix + t}, over
     * labels != -100, computed in double precision.
     */
    public static double sum(Logits logits, int[][] labels, int prefix) {
        double total = 0;
        int v = logits.vocab();
        for (int b = 0; b < labels.length; b++) {
            for (int t = 0; t + 1 < labels[b].length; t++) {
                int target = labels[b][t + 1];
                if (target == TrainBatch.IGNORE) {
                    continue;
                }
                int base = (b * logits.positions() + prefix + t) * v;
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
