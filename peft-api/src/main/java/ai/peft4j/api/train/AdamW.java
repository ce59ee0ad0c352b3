package ai.peft4j.api.train;

import ai.peft4j.api.Peft4jException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, computed element by element as {@code torch.optim.AdamW}
 * (single-tensor path, no amsgrad): {@code p *= 1 - lr·wd}; {@code m += (1-β1)(g - m)};
 * {@code v = β2·v + (1-β2)·g²}; {@code p -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)}.
 *
 * <pre>{@code
 * Optimizer opt = new AdamW(0.9, 0.999, 1e-8, 0.01);
 * }</pre>
 */
public final class AdamW implements Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, float[]> expAvg = new LinkedHashMap<>();
    private final Map<String, float[]> expAvgSq = new LinkedHashMap<>();
    private long steps;

    public AdamW(double beta1, double beta2, double eps, double weightDecay) {
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || eps < 0 || weightDecay < 0) {
            throw new Peft4jException("AdamW: need 0 <= beta1, beta2 < 1 and eps, weight_decay >= 0");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    @Override
    public String name() {
        return "adamw";
    }

    @Override
    public void step(Map<String, float[]> params, Map<String, float[]> grads, double lr) {
        steps++;
        double bc1 = 1 - Math.pow(beta1, steps);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, steps));
        float stepSize = (float) (lr / bc1);
        float decay = (float) (1 - lr * weightDecay);
        float b1c = (float) (1 - beta1);
        float b2 = (float) beta2;
        float b2c = (float) (1 - beta2);
        float bc2s = (float) bc2Sqrt;
        float e = (float) eps;
        for (Map.Entry<String, float[]> en : params.entrySet()) {
            float[] p = en.getValue();
            float[] g = grads.get(en.getKey());
            float[] m = expAvg.computeIfAbsent(en.getKey(), k -> new float[p.length]);
            float[] v = expAvgSq.computeIfAbsent(en.getKey(), k -> new float[p.length]);
            for (int i = 0; i < p.length; i++) {
                float gi = g[i];
                float pi = weightDecay == 0 ? p[i] : p[i] * decay;
                m[i] = m[i] + b1c * (gi - m[i]);
                v[i] = v[i] * b2 + b2c * gi * gi;
                float denom = (float) Math.sqrt(v[i]) / bc2s + e;
                p[i] = pi - stepSize * (m[i] / denom);
            }
        }
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public Map<String, float[]> state() {
        Map<String, float[]> s = new LinkedHashMap<>();
        expAvg.forEach((k, v) -> s.put("exp_avg/" + k, v));
        expAvgSq.forEach((k, v) -> s.put("exp_avg_sq/" + k, v));
        return s;
    }

    @Override
    public void loadState(Map<String, float[]> state, long steps) {
        expAvg.clear();
        expAvgSq.clear();
        state.forEach((k, v) -> {
            if (k.startsWith("exp_avg/")) {
                expAvg.put(k.substring("exp_avg/".length()), v.clone());
            } else if (k.startsWith("exp_avg_sq/")) {
                expAvgSq.put(k.substring("exp_avg_sq/".length()), v.clone());
            } else {
                throw new Peft4jException("AdamW: unknown optimizer state '" + k + "'");
            }
        });
        this.steps = steps;
    }
}
