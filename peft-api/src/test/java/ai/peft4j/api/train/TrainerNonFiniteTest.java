package ai.peft4j.api.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.io.HostTensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The warning for a recomputed micro-batch names the gradients that were not finite, and how much of each. */
class TrainerNonFiniteTest {
    @Test
    void describesEachNonFiniteGradientWithItsCounts() {
        Map<String, HostTensor> grads = new LinkedHashMap<>();
        grads.put("a", new HostTensor(new long[] {4}, new float[] {1f, Float.NaN, Float.NaN, Float.POSITIVE_INFINITY}));
        grads.put("b", new HostTensor(new long[] {2}, new float[] {0f, 1f}));
        grads.put("c", new HostTensor(new long[] {1}, new float[] {Float.NEGATIVE_INFINITY}));

        assertThat(Trainer.describeNonFinite(grads)).isEqualTo("a: 2 NaN, 1 Inf of 4; c: 0 NaN, 1 Inf of 1");
    }

    @Test
    void listsAtMostFiveAndCountsTheRest() {
        Map<String, HostTensor> grads = new LinkedHashMap<>();
        for (int i = 0; i < 7; i++) {
            grads.put("p" + i, new HostTensor(new long[] {1}, new float[] {Float.NaN}));
        }

        assertThat(Trainer.describeNonFinite(grads)).startsWith("p0: 1 NaN, 0 Inf of 1; p1").endsWith("p4: 1 NaN, 0 Inf of 1; 2 more");
    }
}
