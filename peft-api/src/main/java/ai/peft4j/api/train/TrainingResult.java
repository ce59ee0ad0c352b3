package ai.peft4j.api.train;

import java.nio.file.Path;
import java.util.List;

/**
 * How a run ended.
 *
 * @param steps updates done (including those before a resume)
 * @param completed false when {@link Trainer#requestStop()} ended the run early
 * @param losses the loss of every update run by this call, in order
 * @param lastEvalLoss the last evaluation loss, or NaN if none ran
 * @param lastCheckpoint the newest checkpoint written, or null
 * @param seconds wall time of this call
 *
 * <pre>{@code
 * TrainingResult r = trainer.train(train, eval);
 * System.out.println(r.steps() + " steps, final loss " + r.losses().get(r.losses().size() - 1));
 * }</pre>
 */
public record TrainingResult(long steps, boolean completed, List<Double> losses, double lastEvalLoss, Path lastCheckpoint,
        double seconds) {}
