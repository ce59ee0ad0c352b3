package ai.peft4j.api.generate;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/** Hugging Face's logits processors and warpers, applied in place to one row of scores. */
final class LogitsProcessing {
    private LogitsProcessing() {}

    /** CTRL-style penalty over every token in the sequence so far (prompt included, as HF does). */
    static void repetitionPenalty(float[] scores, int[] sequence, int length, double penalty) {
        if (penalty == 1.0) {
            return;
        }
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < length; i++) {
            int t = sequence[i];
            if (t >= 0 && t < scores.length && seen.add(t)) {
                float s = scores[t];
                scores[t] = (float) (s < 0 ? s * penalty : s / penalty);
            }
        }
    }

    /** Bans every token that would repeat an n-gram already present in the sequence. */
    static void noRepeatNgram(float[] scores, int[] sequence, int length, int n) {
        if (n <= 0 || length + 1 < n) {
            return;
        }
        int prefixStart = length - (n - 1);
        for (int start = 0; start + n <= length; start++) {
            boolean match = true;
            for (int j = 0; j < n - 1 && match; j++) {
                match = sequence[start + j] == sequence[prefixStart + j];
            }
            if (match) {
                int banned = sequence[start + n - 1];
                if (banned >= 0 && banned < scores.length) {
                    scores[banned] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }

    static void suppress(float[] scores, Set<Integer> tokens) {
        for (int t : tokens) {
            if (t >= 0 && t < scores.length) {
                scores[t] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    static void temperature(float[] scores, double temperature) {
        if (temperature == 1.0) {
            return;
        }
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (float) (scores[i] / temperature);
        }
    }

    /** Keeps the k highest scores (ties at the k-th value kept, as torch.topk's threshold does). */
    static void topK(float[] scores, int k) {
        if (k <= 0 || k >= scores.length) {
            return;
        }
        float[] sorted = scores.clone();
        Arrays.sort(sorted);
        float threshold = sorted[sorted.length - k];
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < threshold) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Nucleus filtering: drops the least likely tokens whose total probability is at most 1 - p. */
    static void topP(float[] scores, double p) {
        if (p >= 1.0) {
            return;
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
        double[] probs = softmax(scores);
        double cumulative = 0;
        for (int r = 0; r < order.length - 1; r++) {
            cumulative += probs[order[r]];
            if (cumulative <= 1 - p) {
                scores[order[r]] = Float.NEGATIVE_INFINITY;
            } else {
                break;
            }
        }
    }

    static double[] softmax(float[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double[] p = new double[scores.length];
        double z = 0;
        for (int i = 0; i < scores.length; i++) {
            p[i] = scores[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(scores[i] - max);
            z += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= z;
        }
        return p;
    }

    static double[] logSoftmax(float[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double z = 0;
        for (float s : scores) {
            z += s == Float.NEGATIVE_INFINITY ? 0 : Math.exp(s - max);
        }
        double logZ = Math.log(z) + max;
        double[] out = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            out[i] = scores[i] - logZ;
        }
        return out;
    }

    static int argmax(float[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }
}
