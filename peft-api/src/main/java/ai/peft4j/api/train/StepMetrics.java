package ai.peft4j.api.train;

/**
 * One update's figures, given to {@link TrainingListener#onStepEnd}.
 *
 * @param step updates done so far (1 after the first)
 * @param totalSteps updates the run ends at
 * @param epoch the epoch of the update's data (0-based)
 * @param loss the mean token loss of the update's micro-batches, before the update
 * @param learningRate the learning rate the update used
 * @param gradNorm the global gradient norm before clipping
 * @param targetTokens tokens that counted in the loss
 * @param inputTokens real (unpadded) input tokens processed
 * @param stepSeconds wall time of the update
 * @param tokensPerSecond input tokens per second of this update
 * @param etaSeconds estimated time to the end of the run
 *
 * <pre>{@code
 * System.out.println(metrics.step() + " " + metrics.loss());
 * }</pre>
 */
public record StepMetrics(long step, long totalSteps, int epoch, double loss, double learningRate, double gradNorm, int targetTokens,
        int inputTokens, double stepSeconds, double tokensPerSecond, double etaSeconds) {}
