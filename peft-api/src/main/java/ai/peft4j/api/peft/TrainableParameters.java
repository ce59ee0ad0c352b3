package ai.peft4j.api.peft;

import java.util.Locale;

/**
 * Trainable and total parameter counts, printed as PEFT's {@code print_trainable_parameters}.
 *
 * <pre>{@code
 * System.out.println(model.trainableParameters());
 * // trainable params: 8,192 || all params: 124,448,256 || trainable%: 0.0066
 * }</pre>
 */
public record TrainableParameters(long trainable, long all) {
    public double percent() {
        return all == 0 ? 0 : 100.0 * trainable / all;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f", trainable, all, percent());
    }
}
