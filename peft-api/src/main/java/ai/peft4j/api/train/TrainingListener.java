package ai.peft4j.api.train;

import java.nio.file.Path;

/**
 * Receives a run's progress; every method has an empty default. Listeners run on the training
 * thread between steps, so they should be quick; one may call {@link Trainer#requestStop()}.
 *
 * <pre>{@code
 * trainer.addListener(new TrainingListener() {
 *   public void onStepEnd(StepMetrics m) {
 *     System.out.printf("step %d/%d loss %.4f lr %.2e %.0f tok/s ETA %.0fs%n",
 *         m.step(), m.totalSteps(), m.loss(), m.learningRate(), m.tokensPerSecond(), m.etaSeconds());
 *   }
 * });
 * }</pre>
 */
public interface TrainingListener {

    default void onTrainStart(TrainingPlan plan) {}

    default void onStepEnd(StepMetrics metrics) {}

    default void onEval(EvalMetrics metrics) {}

    default void onCheckpoint(long step, Path dir) {}

    default void onTrainEnd(TrainingResult result) {}
}
