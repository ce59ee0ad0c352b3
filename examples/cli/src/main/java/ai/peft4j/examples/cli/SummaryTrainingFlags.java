package ai.peft4j.examples.cli;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The training flags {@code summarize train} and the Spark {@code train} share: the method and its
 * overrides, epochs, batch, learning rate, sequence cap, checkpointing and seed, with one set of
 * defaults (the competition baseline's).
 *
 * <pre>{@code
 * @Command(name = "train")
 * class Train implements Callable<Integer> {
 *   @Mixin SummaryTrainingFlags training;
 *   public Integer call() {
 *     JsonObject config = training.methodConfig();            // baseline + --set overrides
 *     double lr = training.learningRate();                    // --lr, else the method's default
 *     int maxLength = training.maxLength(context);            // --max-length, else the model's context
 *     ...
 *   }
 * }
 * }</pre>
 */
public final class SummaryTrainingFlags {
    @Option(names = "--method", description = "lora (default: the competition baseline r=8, alpha=32, dropout 0.1), prompt-tuning, "
            + "or any installed method.")
    public String method = "lora";

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a method config key with a JSON value (a bare word is "
            + "a string; a value that looks like JSON but is not is refused).")
    public List<String> sets = new ArrayList<>();

    @Option(names = "--epochs", description = "Epochs (default 1).")
    public int epochs = 1;

    @Option(names = "--batch", description = "Batch size (default 8; on Spark the global batch, split across the tasks).")
    public int batch = 8;

    @Option(names = "--lr", description = "Learning rate (default 2e-3 for lora, 3e-2 for prompt tuning).")
    public Double lr;

    @Option(names = "--max-length", description = "Longest training sequence (default: the model's context).")
    public Integer maxLength;

    @Option(names = "--checkpoint-every", description = "Checkpoint every N steps (default 0).")
    public int checkpointEvery;

    @Option(names = "--resume", description = "Resume from the newest checkpoint in --out.")
    public boolean resume;

    @Option(names = "--seed", description = "Seed (default 42).")
    public long seed = 42;

    /** The method's baseline config with the {@code --set} overrides applied. */
    public JsonObject methodConfig() {
        return SummarizeCommand.methodJson(method, sets);
    }

    /** {@code --lr}, else the method's default. */
    public double learningRate() {
        return lr != null ? lr : SummarizeCommand.defaultLearningRate(method);
    }

    /** {@code --max-length}, else {@code context}. */
    public int maxLength(int context) {
        return maxLength == null ? context : maxLength;
    }
}
