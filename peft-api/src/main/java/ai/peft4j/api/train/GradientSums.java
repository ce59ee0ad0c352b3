package ai.peft4j.api.train;

import java.util.Map;

/**
 * One update's unnormalised sums, as a data-parallel worker hands them to a
 * {@link GradientReducer}: the summed token loss, the target and input token counts, and the
 * gradients of the summed loss (not yet divided by the token count), keyed and ordered like
 * {@link Trainer#trainedKeys()}.
 *
 * <p>They are sums so that workers with unequal shards combine exactly: the trainer divides the
 * global loss and gradient sums by the global target count, which is the single-process loss of
 * the whole batch.
 *
 * <pre>{@code
 * GradientSums local = new GradientSums(12.5, 40, 52, Map.of("w", new float[] {0.1f, -0.2f}));
 * GradientSums global = reducer.reduce(local);
 * double meanLoss = global.lossSum() / global.targetTokens();
 * }</pre>
 *
 * @param lossSum the summed token loss of this worker's rows
 * @param targetTokens tokens that counted in the loss
 * @param inputTokens real (unpadded) input tokens processed
 * @param gradients the gradient of {@code lossSum} for every trained parameter
 */
public record GradientSums(double lossSum, long targetTokens, long inputTokens, Map<String, float[]> gradients) {}
