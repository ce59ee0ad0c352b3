package ai.peft4j.api.train;

import ai.peft4j.api.Peft4jException;
import java.util.Locale;

/**
 * Learning-rate schedules with linear warm-up, as Hugging Face's {@code get_*_schedule_with_warmup}:
 * the update with 0-based index {@code k} uses {@code lr · factor(k)}, where the factor rises as
 * {@code k / warmup} during warm-up (so the very first update of a warmed-up run has factor 0, as
 * in Hugging Face) and then stays at 1 ({@link Type#CONSTANT}), falls linearly to 0 at
 * {@code total} ({@link Type#LINEAR}), or follows a half cosine to 0 ({@link Type#COSINE}).
 *
 * <pre>{@code
 * LearningRateSchedule s = new LearningRateSchedule(Type.COSINE, 2e-4, 100, 1000);
 * double lr = s.learningRate(250);
 * }</pre>
 */
public record LearningRateSchedule(Type type, double baseLearningRate, long warmupSteps, long totalSteps) {

    /** The shape after warm-up. */
    public enum Type {
        CONSTANT, LINEAR, COSINE;

        /** Parses {@code constant}, {@code linear}, {@code cosine} (case-insensitive). */
        public static Type parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new Peft4jException("unknown learning-rate schedule '" + s + "'; use constant, linear or cosine");
            }
        }
    }

    public LearningRateSchedule {
        if (baseLearningRate < 0 || Double.isNaN(baseLearningRate) || warmupSteps < 0 || totalSteps < 1) {
            throw new Peft4jException("schedule needs lr >= 0, warm-up >= 0 and total steps >= 1");
        }
    }

    /** The learning rate of update {@code step} (0-based). */
    public double learningRate(long step) {
        return baseLearningRate * factor(step);
    }

    public double factor(long step) {
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        switch (type) {
            case CONSTANT:
                return 1.0;
            case LINEAR:
                return Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE: {
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
            }
            default:
                throw new IllegalStateException(type.toString());
        }
    }
}
