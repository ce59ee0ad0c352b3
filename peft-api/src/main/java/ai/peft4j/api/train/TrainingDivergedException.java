package ai.peft4j.api.train;

import ai.peft4j.api.Peft4jException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Thrown when a step's loss or gradients are NaN or infinite. The bad update is not applied and
 * no checkpoint is written for it, so the newest checkpoint (if any) is the last good state.
 *
 * <pre>{@code
 * try { trainer.train(data, null); }
 * catch (TrainingDivergedException e) { e.lastGoodCheckpoint().ifPresent(c -> System.err.println("resume from " + c)); }
 * }</pre>
 */
public final class TrainingDivergedException extends Peft4jException {
    private final long step;
    private final transient Path lastGoodCheckpoint;

    public TrainingDivergedException(String message, long step, Path lastGoodCheckpoint) {
        super(message);
        this.step = step;
        this.lastGoodCheckpoint = lastGoodCheckpoint;
    }

    /** The 1-based update that diverged. */
    public long step() {
        return step;
    }

    public Optional<Path> lastGoodCheckpoint() {
        return Optional.ofNullable(lastGoodCheckpoint);
    }
}
