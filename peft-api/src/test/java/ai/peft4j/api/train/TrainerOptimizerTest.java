package ai.peft4j.api.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.peft4j.api.Peft4jException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Optimizers, schedules and clipping against reference formulas (PyTorch / Hugging Face semantics). */
class TrainerOptimizerTest {

    /** A double-precision reference of torch.optim.AdamW. */
    private static double[] adamwReference(double[] p, double[][] grads, double lr, double b1, double b2, double eps, double wd) {
        double[] x = p.clone();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        for (int t = 1; t <= grads.length; t++) {
            double[] g = grads[t - 1];
            for (int i = 0; i < x.length; i++) {
                x[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mhat = m[i] / (1 - Math.pow(b1, t));
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                x[i] -= lr * mhat / denom;
            }
        }
        return x;
    }

    @Test
    void adamwMatchesReferenceWithDecoupledWeightDecayAndBiasCorrection() {
        double[][] grads = {{0.5, -1.0, 0.001}, {0.2, 0.3, -0.002}, {-0.4, 0.1, 0.003}, {0.05, -0.05, 0.0}};
        double[] p0 = {1.0, -2.0, 0.5};
        for (double wd : new double[] {0.0, 0.1}) {
            AdamW opt = new AdamW(0.9, 0.999, 1e-8, wd);
            float[] p = {1.0f, -2.0f, 0.5f};
            for (double[] g : grads) {
                opt.step(Map.of("w", p), Map.of("w", toFloat(g)), 1e-2);
            }
            double[] ref = adamwReference(p0, grads, 1e-2, 0.9, 0.999, 1e-8, wd);
            for (int i = 0; i < p.length; i++) {
                assertThat((double) p[i]).as("wd=%s i=%d", wd, i).isCloseTo(ref[i], within(1e-6));
            }
            assertThat(opt.steps()).isEqualTo(4);
        }
    }

    @Test
    void adamwFirstStepMovesEachWeightByLearningRateTimesSign() {
        AdamW opt = new AdamW(0.9, 0.999, 1e-8, 0);
        float[] p = {0f, 0f};
        opt.step(Map.of("w", p), Map.of("w", new float[] {3f, -0.01f}), 0.1);
        assertThat(p[0]).isCloseTo(-0.1f, within(1e-6f));
        assertThat(p[1]).isCloseTo(0.1f, within(1e-5f));
    }

    @Test
    void adamwStateRoundTripsAndContinuesIdentically() {
        AdamW a = new AdamW(0.9, 0.99, 1e-8, 0.01);
        AdamW b = new AdamW(0.9, 0.99, 1e-8, 0.01);
        float[] pa = {1f, 2f};
        float[] g1 = {0.1f, -0.2f};
        float[] g2 = {0.3f, 0.4f};
        a.step(Map.of("w", pa), Map.of("w", g1), 0.01);
        float[] pb = pa.clone();
        b.loadState(a.state(), a.steps());
        a.step(Map.of("w", pa), Map.of("w", g2), 0.01);
        b.step(Map.of("w", pb), Map.of("w", g2), 0.01);
        assertThat(pb).containsExactly(pa);
    }

    @Test
    void sgdPlainMomentumNesterovAndWeightDecayFollowTorch() {
        float[] p = {1f};
        new Sgd(0, 0, false, 0).step(Map.of("w", p), Map.of("w", new float[] {2f}), 0.5);
        assertThat(p[0]).isEqualTo(0f);

        // momentum 0.9: buf1 = g1 = 1; p = 1 - 0.1*1 = 0.9; buf2 = 0.9*1 + 1 = 1.9; p = 0.9 - 0.19 = 0.71
        Sgd m = new Sgd(0.9, 0, false, 0);
        float[] q = {1f};
        m.step(Map.of("w", q), Map.of("w", new float[] {1f}), 0.1);
        m.step(Map.of("w", q), Map.of("w", new float[] {1f}), 0.1);
        assertThat(q[0]).isCloseTo(0.71f, within(1e-6f));

        // nesterov: step1 buf=1, d = 1 + 0.9 = 1.9 -> p = 1 - 0.19 = 0.81
        float[] r = {1f};
        new Sgd(0.9, 0, true, 0).step(Map.of("w", r), Map.of("w", new float[] {1f}), 0.1);
        assertThat(r[0]).isCloseTo(0.81f, within(1e-6f));

        // L2 weight decay: g' = g + 0.1 * p = 0 + 0.1 -> p = 1 - 0.1 = 0.9
        float[] s = {1f};
        new Sgd(0, 0, false, 0.1).step(Map.of("w", s), Map.of("w", new float[] {0f}), 1.0);
        assertThat(s[0]).isCloseTo(0.9f, within(1e-7f));
    }

    @Test
    void schedulesFollowHuggingFace() {
        LearningRateSchedule lin = new LearningRateSchedule(LearningRateSchedule.Type.LINEAR, 1.0, 10, 110);
        assertThat(lin.learningRate(0)).isEqualTo(0.0);
        assertThat(lin.learningRate(5)).isEqualTo(0.5);
        assertThat(lin.learningRate(10)).isEqualTo(1.0);
        assertThat(lin.learningRate(60)).isCloseTo(0.5, within(1e-12));
        assertThat(lin.learningRate(110)).isEqualTo(0.0);
        LearningRateSchedule cos = new LearningRateSchedule(LearningRateSchedule.Type.COSINE, 2.0, 10, 110);
        assertThat(cos.learningRate(10)).isCloseTo(2.0, within(1e-12));
        assertThat(cos.learningRate(60)).isCloseTo(1.0, within(1e-12));
        assertThat(cos.learningRate(110)).isCloseTo(0.0, within(1e-12));
        LearningRateSchedule constant = new LearningRateSchedule(LearningRateSchedule.Type.CONSTANT, 0.5, 0, 3);
        assertThat(constant.learningRate(0)).isEqualTo(0.5);
        assertThat(constant.learningRate(2)).isEqualTo(0.5);
        assertThat(LearningRateSchedule.Type.parse("Cosine")).isEqualTo(LearningRateSchedule.Type.COSINE);
        assertThatThrownBy(() -> LearningRateSchedule.Type.parse("step")).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("constant, linear or cosine");
    }

    @Test
    void globalNormClippingScalesAllGradientsTogether() {
        float[] a = {3f, 0f};
        float[] b = {4f};
        double norm = GradientClipping.clipGlobalNorm(List.of(a, b), 1.0);
        assertThat(norm).isCloseTo(5.0, within(1e-12));
        assertThat(GradientClipping.globalNorm(List.of(a, b))).isCloseTo(1.0, within(1e-6));
        assertThat(a[0]).isCloseTo(0.6f, within(1e-6f));
        assertThat(b[0]).isCloseTo(0.8f, within(1e-6f));
        // below the threshold nothing changes, and negative values count (both sides)
        float[] c = {-0.3f, 0.4f};
        assertThat(GradientClipping.clipGlobalNorm(List.of(c), 1.0)).isCloseTo(0.5, within(1e-7));
        assertThat(c).containsExactly(-0.3f, 0.4f);
        assertThat(GradientClipping.globalNorm(List.of(new float[] {Float.NaN}))).isNaN();
    }

    @Test
    void configValidatesEarly() {
        assertThatThrownBy(() -> TrainingConfig.builder().optOptimizer("adam8bit").build()).hasMessageContaining("adamw or sgd");
        assertThatThrownBy(() -> TrainingConfig.builder().optCheckpointEverySteps(10).build()).hasMessageContaining("output directory");
        assertThatThrownBy(() -> TrainingConfig.builder().optBatchSize(0).build()).hasMessageContaining("batch size");
        TrainingConfig c = TrainingConfig.builder().optWarmupRatio(0.1).build();
        assertThat(c.newSchedule(95).warmupSteps()).isEqualTo(10);
        assertThat(c.newOptimizer()).isInstanceOf(AdamW.class);
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
