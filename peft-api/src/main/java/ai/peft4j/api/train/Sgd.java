package ai.peft4j.api.train;

import ai.peft4j.api.Peft4jException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD}: optional (coupled, L2) weight decay
 * {@code g += wd·p}; optional momentum {@code b = μ·b + (1-dampening)·g} (the first step takes
 * {@code b = g}), Nesterov {@code g += μ·b} or {@code g = b}; then {@code p -= lr·g}.
 *
 * <pre>{@code
 * Optimizer plain = new Sgd(0, 0, false, 0);      // p -= lr * grad
 * Optimizer momentum = new Sgd(0.9, 0, false, 0);
 * }</pre>
 */
public final class Sgd implements Optimizer {
    private final double momentum;
    private final double dampening;
    private final boolean nesterov;
    private final double weightDecay;
    private final Map<String, float[]> buffers = new LinkedHashMap<>();
    private long steps;

    public Sgd(double momentum, double dampening, boolean nesterov, double weightDecay) {
        if (momentum < 0 || weightDecay < 0 || (nesterov && (momentum <= 0 || dampening != 0))) {
            throw new Peft4jException("SGD: momentum and weight decay must be >= 0; Nesterov needs momentum > 0 and no dampening");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    public void step(Map<String, float[]> params, Map<String, float[]> grads, double lr) {
        steps++;
        float negLr = (float) -lr;
        float wd = (float) weightDecay;
        float mu = (float) momentum;
        float damp = (float) (1 - dampening);
        for (Map.Entry<String, float[]> en : params.entrySet()) {
            float[] p = en.getValue();
            float[] g = grads.get(en.getKey());
            float[] buf = momentum == 0 ? null : buffers.get(en.getKey());
            boolean first = momentum != 0 && buf == null;
            if (first) {
                buf = new float[p.length];
                buffers.put(en.getKey(), buf);
            }
            for (int i = 0; i < p.length; i++) {
                float d = weightDecay == 0 ? g[i] : g[i] + wd * p[i];
                if (buf != null) {
                    buf[i] = first ? d : buf[i] * mu + damp * d;
                    d = nesterov ? d + mu * buf[i] : buf[i];
                }
                p[i] = p[i] + negLr * d;
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
        buffers.forEach((k, v) -> s.put("momentum_buffer/" + k, v));
        return s;
    }

    @Override
    public void loadState(Map<String, float[]> state, long steps) {
        buffers.clear();
        state.forEach((k, v) -> {
            if (!k.startsWith("momentum_buffer/")) {
                throw new Peft4jException("SGD: unknown optimizer state '" + k + "'");
            }
            buffers.put(k.substring("momentum_buffer/".length()), v.clone());
        });
        this.steps = steps;
    }
}
