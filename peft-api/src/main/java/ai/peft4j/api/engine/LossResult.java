package ai.peft4j.api.engine;

import ai.peft4j.api.io.HostTensor;
import java.util.Map;

/**
 * The result of a training forward/backward: the summed token loss, the number of target tokens,
 * and the gradients of the sum for every trainable parameter (empty when none were requested).
 *
 * <pre>{@code
 * LossResult r = runtime.lossAndGradients(batch, hooks, true);
 * double meanLoss = r.meanLoss();
 * }</pre>
 */
public record LossResult(double lossSum, int tokens, Map<String, HostTensor> gradients) {
    public double meanLoss() {
        return tokens == 0 ? 0 : lossSum / tokens;
    }
}
