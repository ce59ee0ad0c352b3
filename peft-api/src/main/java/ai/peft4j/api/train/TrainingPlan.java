package ai.peft4j.api.train;

/**
 * What a run is about to do, given to {@link TrainingListener#onTrainStart}.
 *
 * @param startStep the first update's index (non-zero when resuming)
 * @param totalSteps the update count the run ends at
 * @param trainExamples examples in the training set
 * @param batchesPerEpoch micro-batches per epoch
 * @param trainableParameters the number of trained scalars
 *
 * <pre>{@code
 * public void onTrainStart(TrainingPlan p) { bar = new ProgressBar("train", p.totalSteps()); bar.stepTo(p.startStep()); }
 * }</pre>
 */
public record TrainingPlan(long startStep, long totalSteps, int trainExamples, int batchesPerEpoch, long trainableParameters) {}
