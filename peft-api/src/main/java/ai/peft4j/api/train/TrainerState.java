package ai.peft4j.api.train;

import ai.peft4j.api.Peft4jException;
import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The {@code trainer_state.json} of a checkpoint, bound by Gson: the position of the run (step,
 * epoch, batch within the epoch), the settings a resume must repeat (method, batch size,
 * accumulation, shuffling, seed, data fingerprint, optimizer) and the log history. Keys are
 * snake_case as in Hugging Face's {@code TrainerState} ({@code global_step}, {@code log_history});
 * the JSON is exactly what the trainer has always written, so checkpoints of earlier runs resume.
 *
 * <pre>{@code
 * TrainerState s = Checkpoints.readState(Checkpoints.latest(out).orElseThrow());
 * System.out.println(s.globalStep() + " of " + s.totalSteps() + ", last eval loss " + s.lastEvalLoss());
 * }</pre>
 *
 * @param format always {@link #FORMAT}
 * @param globalStep updates done
 * @param totalSteps updates planned
 * @param epoch the data epoch of the next micro-batch
 * @param batchInEpoch the index of the next micro-batch in that epoch
 * @param lastEvalLoss the latest evaluation loss, or null before the first evaluation (not written then)
 * @param logHistory one entry per update and per evaluation, oldest first
 */
public record TrainerState(String format, long globalStep, long totalSteps, int epoch, int batchInEpoch, int batchesPerEpoch,
        long tokensSeen, String adapterName, String peftType, int batchSize, int gradientAccumulationSteps, boolean shuffle,
        int bucketWindowBatches, Data data, Rng rng, Schedule schedule, OptimizerInfo optimizer, Double lastEvalLoss,
        List<LogEntry> logHistory) {

    /** The value of {@code format}; a state file with another one is refused. */
    public static final String FORMAT = "peft4j-trainer-state/1";

    /** Keys a resume reads; a file without one of them is refused by name instead of failing later. */
    private static final List<String> REQUIRED = List.of("global_step", "total_steps", "epoch", "batch_in_epoch", "tokens_seen", "peft_type",
            "batch_size", "gradient_accumulation_steps", "shuffle", "bucket_window_batches", "data.train_examples", "data.fingerprint",
            "rng.seed", "optimizer.name", "optimizer.steps", "log_history");

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES).create();

    public TrainerState {
        if (lastEvalLoss != null && lastEvalLoss.isNaN()) {
            lastEvalLoss = null; // "no evaluation yet" has one form: the key is left out
        }
        logHistory = List.copyOf(logHistory);
    }

    /** The training data a checkpoint belongs to. */
    public record Data(int trainExamples, String fingerprint) {}

    /** The seed and, for a reader, how the random state follows from it (and the step). */
    public record Rng(long seed, String dataOrder, String engine) {}

    /** The learning-rate schedule of the run. */
    public record Schedule(String type, double learningRate, long warmupSteps, long totalSteps, double nextLearningRate) {}

    /** The optimizer whose state is in {@code optimizer.safetensors}. */
    public record OptimizerInfo(String name, long steps, String config) {}

    /**
     * One {@code log_history} entry: an update ({@code step, epoch, loss, learning_rate,
     * grad_norm}) or an evaluation ({@code step, eval_loss}); absent values are not written.
     */
    public record LogEntry(long step, Integer epoch, Double loss, Double learningRate, Double gradNorm, Double evalLoss) {
        public static LogEntry update(long step, int epoch, double loss, double learningRate, double gradNorm) {
            return new LogEntry(step, epoch, loss, learningRate, gradNorm, null);
        }

        public static LogEntry evaluation(long step, double evalLoss) {
            return new LogEntry(step, null, null, null, null, evalLoss);
        }
    }

    /** The latest evaluation loss, or NaN before the first evaluation. */
    public double lastEvalLossOrNaN() {
        return lastEvalLoss == null ? Double.NaN : lastEvalLoss;
    }

    /** The pretty-printed JSON, as written into a checkpoint. */
    public String toJson() {
        return GSON.toJson(this) + "\n";
    }

    /**
     * Parses a state file's text; {@code source} names it in errors.
     *
     * @throws Peft4jException if it is not JSON, has another {@code format} or lacks a key a resume needs
     */
    public static TrainerState parse(String json, Path source) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new Peft4jException(source + ": the trainer state is not a JSON object");
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new Peft4jException(source + ": the trainer state is not valid JSON (a truncated file?): " + e.getMessage(), e);
        }
        JsonElement format = o.get("format");
        if (format == null || !format.isJsonPrimitive() || !FORMAT.equals(format.getAsString())) {
            throw new Peft4jException(source + ": unknown trainer state format; expected " + FORMAT);
        }
        for (String key : REQUIRED) {
            if (!has(o, key)) {
                throw new Peft4jException(source + ": the trainer state has no '" + key + "'");
            }
        }
        try {
            return GSON.fromJson(o, TrainerState.class);
        } catch (RuntimeException e) { // Gson's type errors, or a null log entry refused by the constructor
            throw new Peft4jException(source + ": malformed trainer state: " + e.getMessage(), e);
        }
    }

    private static boolean has(JsonObject o, String dotted) {
        int dot = dotted.indexOf('.');
        if (dot < 0) {
            return o.has(dotted) && !o.get(dotted).isJsonNull();
        }
        JsonElement inner = o.get(dotted.substring(0, dot));
        return inner != null && inner.isJsonObject() && has(inner.getAsJsonObject(), dotted.substring(dot + 1));
    }

    /**
     * Refuses to continue this saved run as {@code current} (the new run's state before its first
     * update) unless both train the same method on the same data with the same batching, seed and
     * optimizer: anything else would silently train something other than the interrupted run.
     *
     * @param file the state file, for the message
     */
    public void requireSameRun(TrainerState current, Path file) {
        same(file, "peft_type", peftType, current.peftType);
        same(file, "batch_size", batchSize, current.batchSize);
        same(file, "gradient_accumulation_steps", gradientAccumulationSteps, current.gradientAccumulationSteps);
        same(file, "shuffle", shuffle, current.shuffle);
        same(file, "bucket_window_batches", bucketWindowBatches, current.bucketWindowBatches);
        same(file, "seed", rng.seed(), current.rng.seed());
        same(file, "training examples", data.trainExamples(), current.data.trainExamples());
        same(file, "data fingerprint", data.fingerprint(), current.data.fingerprint());
        same(file, "optimizer", optimizer.name(), current.optimizer.name());
    }

    private static void same(Path file, String what, Object saved, Object now) {
        if (!Objects.equals(saved, now)) {
            throw new Peft4jException(file + ": cannot resume: the checkpoint has " + what + " " + saved + " but this run has " + now
                    + "; resume with the same data and settings");
        }
    }
}
