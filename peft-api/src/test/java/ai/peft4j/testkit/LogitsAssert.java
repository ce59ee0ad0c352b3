package ai.peft4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.engine.Logits;

/** Compares logits with golden values at the positions that count. */
public final class LogitsAssert {
    private LogitsAssert() {}

    /**
     * Max abs difference over rows and positions whose mask is 1; {@code maskOffset} positions of a
     * soft prompt are always compared.
     */
    public static double maxAbsDiff(Logits actual, float[] expected, int[][] mask, int maskOffset) {
        int v = actual.vocab();
        double worst = 0;
        for (int b = 0; b < actual.batch(); b++) {
            for (int t = 0; t < actual.positions(); t++) {
                int mi = t - maskOffset;
                if (mask != null && mi >= 0 && mask[b][mi] == 0) {
                    continue;
                }
                int base = (b * actual.positions() + t) * v;
                for (int j = 0; j < v; j++) {
                    worst = Math.max(worst, Math.abs(actual.data()[base + j] - expected[base + j]));
                }
            }
        }
        return worst;
    }

    public static void assertClose(Logits actual, float[] expected, int[][] mask, int maskOffset, double tol, String what) {
        assertThat(actual.data().length).as(what + ": logits size").isEqualTo(expected.length);
        assertThat(maxAbsDiff(actual, expected, mask, maskOffset)).as(what + ": max abs logit difference").isLessThanOrEqualTo(tol);
    }
}
