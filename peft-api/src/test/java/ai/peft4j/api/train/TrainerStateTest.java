package ai.peft4j.api.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code trainer_state.json} bound by Gson: a round trip keeps every value, the JSON is byte for
 * byte what the trainer wrote before the record existed, and files of that format are read back.
 */
class TrainerStateTest {
    private static final Path FILE = Path.of("out/checkpoint-4/trainer_state.json");

    /** What the trainer wrote before {@link TrainerState}: its {@code Run.state()}, kept verbatim (fields made parameters). */
    private static final Gson OLD_GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues()
            .create();

    private static JsonObject oldState(long step, long totalSteps, int epoch, int batchIndex, int batchesPerEpoch, long tokensSeen,
            String adapterName, String peftType, int batchSize, int accumulation, boolean shuffle, int window, int trainExamples,
            long fingerprint, long seed, LearningRateSchedule schedule, String optName, long optSteps, String config, double lastEvalLoss,
            JsonArray logHistory) {
        JsonObject s = new JsonObject();
        s.addProperty("format", "peft4j-trainer-state/1");
        s.addProperty("global_step", step);
        s.addProperty("total_steps", totalSteps);
        s.addProperty("epoch", epoch);
        s.addProperty("batch_in_epoch", batchIndex);
        s.addProperty("batches_per_epoch", batchesPerEpoch);
        s.addProperty("tokens_seen", tokensSeen);
        s.addProperty("adapter_name", adapterName);
        s.addProperty("peft_type", peftType);
        s.addProperty("batch_size", batchSize);
        s.addProperty("gradient_accumulation_steps", accumulation);
        s.addProperty("shuffle", shuffle);
        s.addProperty("bucket_window_batches", window);
        JsonObject data = new JsonObject();
        data.addProperty("train_examples", trainExamples);
        data.addProperty("fingerprint", Long.toHexString(fingerprint));
        s.add("data", data);
        JsonObject rng = new JsonObject();
        rng.addProperty("seed", seed);
        rng.addProperty("data_order", "per epoch: SplittableRandom(seed, epoch) shuffle + length buckets");
        rng.addProperty("engine", "reseeded before every micro-batch from (seed, step, micro-batch)");
        s.add("rng", rng);
        JsonObject sched = new JsonObject();
        sched.addProperty("type", schedule.type().name().toLowerCase(java.util.Locale.ROOT));
        sched.addProperty("learning_rate", schedule.baseLearningRate());
        sched.addProperty("warmup_steps", schedule.warmupSteps());
        sched.addProperty("total_steps", schedule.totalSteps());
        sched.addProperty("next_learning_rate", step < totalSteps ? schedule.learningRate(step) : 0.0);
        s.add("schedule", sched);
        JsonObject opt = new JsonObject();
        opt.addProperty("name", optName);
        opt.addProperty("steps", optSteps);
        opt.addProperty("config", config);
        s.add("optimizer", opt);
        if (!Double.isNaN(lastEvalLoss)) {
            s.addProperty("last_eval_loss", lastEvalLoss);
        }
        s.add("log_history", logHistory);
        return s;
    }

    private static JsonObject oldStepEntry(long step, int epoch, double loss, double lr, double norm) {
        JsonObject h = new JsonObject();
        h.addProperty("step", step);
        h.addProperty("epoch", epoch);
        h.addProperty("loss", loss);
        h.addProperty("learning_rate", lr);
        h.addProperty("grad_norm", norm);
        return h;
    }

    private static JsonObject oldEvalEntry(long step, double evalLoss) {
        JsonObject h = new JsonObject();
        h.addProperty("step", step);
        h.addProperty("eval_loss", evalLoss);
        return h;
    }

    private static final LearningRateSchedule SCHEDULE = new LearningRateSchedule(LearningRateSchedule.Type.COSINE, 3e-3, 2, 9);
    private static final String CONFIG = TrainingConfig.builder().optLearningRate(3e-3).build().toString();

    private static TrainerState state(double lastEvalLoss, List<TrainerState.LogEntry> log) {
        return new TrainerState(TrainerState.FORMAT, 4, 9, 1, 3, 5, 812, "default", "LORA", 2, 2, true, 2,
                new TrainerState.Data(10, Long.toHexString(0x9e3779b97f4a7c15L)),
                new TrainerState.Rng(5, "per epoch: SplittableRandom(seed, epoch) shuffle + length buckets",
                        "reseeded before every micro-batch from (seed, step, micro-batch)"),
                new TrainerState.Schedule("cosine", 3e-3, 2, 9, SCHEDULE.learningRate(4)), new TrainerState.OptimizerInfo("adamw", 4, CONFIG),
                lastEvalLoss, log);
    }

    private static final List<TrainerState.LogEntry> LOG = List.of(TrainerState.LogEntry.update(1, 0, 7.13321304321289, 0.0, 12.5),
            TrainerState.LogEntry.update(2, 0, 6.9, 0.0015, 0.4999999701976776), TrainerState.LogEntry.update(3, 0, 6.25, 0.003, 1e-7),
            TrainerState.LogEntry.evaluation(3, 6.5), TrainerState.LogEntry.update(4, 1, 5.75, 0.0028190778623577253, 0.25));

    private static JsonArray oldLog() {
        JsonArray a = new JsonArray();
        a.add(oldStepEntry(1, 0, 7.13321304321289, 0.0, 12.5));
        a.add(oldStepEntry(2, 0, 6.9, 0.0015, 0.4999999701976776));
        a.add(oldStepEntry(3, 0, 6.25, 0.003, 1e-7));
        a.add(oldEvalEntry(3, 6.5));
        a.add(oldStepEntry(4, 1, 5.75, 0.0028190778623577253, 0.25));
        return a;
    }

    private static String oldJson(double lastEvalLoss) {
        return OLD_GSON.toJson(oldState(4, 9, 1, 3, 5, 812, "default", "LORA", 2, 2, true, 2, 10, 0x9e3779b97f4a7c15L, 5, SCHEDULE, "adamw",
                4, CONFIG, lastEvalLoss, oldLog())) + "\n";
    }

    @Test
    void writesExactlyWhatTheTrainerWroteBefore() {
        assertThat(state(6.5, LOG).toJson()).isEqualTo(oldJson(6.5));
        assertThat(state(Double.NaN, LOG).toJson()).as("no evaluation yet: no last_eval_loss").isEqualTo(oldJson(Double.NaN))
                .doesNotContain("last_eval_loss");
    }

    @Test
    void readsAStateFileOfTheEarlierFormat() {
        TrainerState s = TrainerState.parse(oldJson(6.5), FILE);
        assertThat(s).isEqualTo(state(6.5, LOG));
        assertThat(s.globalStep()).isEqualTo(4);
        assertThat(s.batchInEpoch()).isEqualTo(3);
        assertThat(s.data().fingerprint()).isEqualTo("9e3779b97f4a7c15");
        assertThat(s.logHistory()).hasSize(5);
        assertThat(s.logHistory().get(3)).isEqualTo(TrainerState.LogEntry.evaluation(3, 6.5));
        assertThat(TrainerState.parse(oldJson(Double.NaN), FILE).lastEvalLossOrNaN()).isNaN();
    }

    @Test
    void readsAHandWrittenFileOfTheEarlierFormat() {
        // As an earlier checkpoint holds it (keys in the old writer's order, ints for epochs).
        String file = """
                {
                  "format": "peft4j-trainer-state/1",
                  "global_step": 2,
                  "total_steps": 6,
                  "epoch": 0,
                  "batch_in_epoch": 2,
                  "batches_per_epoch": 3,
                  "tokens_seen": 96,
                  "adapter_name": "default",
                  "peft_type": "FULL",
                  "batch_size": 2,
                  "gradient_accumulation_steps": 1,
                  "shuffle": true,
                  "bucket_window_batches": 50,
                  "data": {
                    "train_examples": 5,
                    "fingerprint": "-3f2a"
                  },
                  "rng": {
                    "seed": 42,
                    "data_order": "per epoch: SplittableRandom(seed, epoch) shuffle + length buckets",
                    "engine": "reseeded before every micro-batch from (seed, step, micro-batch)"
                  },
                  "schedule": {
                    "type": "linear",
                    "learning_rate": 5.0E-5,
                    "warmup_steps": 0,
                    "total_steps": 6,
                    "next_learning_rate": 3.3333333333333335E-5
                  },
                  "optimizer": {
                    "name": "sgd",
                    "steps": 2,
                    "config": "sgd lr=5.00000e-05"
                  },
                  "log_history": [
                    {
                      "step": 1,
                      "epoch": 0,
                      "loss": 7.1,
                      "learning_rate": 5.0E-5,
                      "grad_norm": 1.0
                    },
                    {
                      "step": 1,
                      "eval_loss": NaN
                    }
                  ]
                }
                """;
        TrainerState s = TrainerState.parse(file, FILE);
        assertThat(s.peftType()).isEqualTo("FULL");
        assertThat(s.schedule().nextLearningRate()).isEqualTo(3.3333333333333335E-5);
        assertThat(s.lastEvalLoss()).isNull();
        assertThat(s.logHistory().get(0)).isEqualTo(TrainerState.LogEntry.update(1, 0, 7.1, 5e-5, 1.0));
        assertThat(s.logHistory().get(1).evalLoss()).isNaN();
        assertThat(s.toJson()).isEqualTo(file);
    }

    @Test
    void roundTripsThroughGson() {
        TrainerState s = state(6.5, LOG);
        assertThat(TrainerState.parse(s.toJson(), FILE)).isEqualTo(s);
        List<TrainerState.LogEntry> nanEval = List.of(TrainerState.LogEntry.evaluation(1, Double.NaN));
        TrainerState withNaN = state(Double.NaN, nanEval);
        assertThat(withNaN.toJson()).contains("\"eval_loss\": NaN");
        assertThat(TrainerState.parse(withNaN.toJson(), FILE)).isEqualTo(withNaN);
    }

    @Test
    void aDamagedOrForeignFileIsRefusedByName() {
        String good = oldJson(6.5);
        assertThatThrownBy(() -> TrainerState.parse(good.substring(0, good.length() / 2), FILE)).isInstanceOf(Peft4jException.class)
                .hasMessageStartingWith(FILE.toString()).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> TrainerState.parse("{\"global_step\": 3, \"log_history\": []}", FILE))
                .hasMessageContaining("unknown trainer state format").hasMessageContaining(TrainerState.FORMAT);
        assertThatThrownBy(() -> TrainerState.parse(good.replace("\"fingerprint\"", "\"finger\""), FILE))
                .hasMessageContaining("has no 'data.fingerprint'");
        assertThatThrownBy(() -> TrainerState.parse(good.replace("\"batch_size\": 2", "\"batch_size\": \"two\""), FILE))
                .hasMessageContaining("malformed trainer state");
        assertThatThrownBy(() -> TrainerState.parse("[]", FILE)).hasMessageContaining("not a JSON object");
    }

    @Test
    void aResumeWithOtherSettingsIsRefusedNamingTheSetting() {
        TrainerState saved = state(6.5, LOG);
        saved.requireSameRun(state(Double.NaN, List.of()), FILE);
        TrainerState otherSeed = new TrainerState(saved.format(), 0, 9, 0, 0, 5, 0, "default", "LORA", 2, 2, true, 2, saved.data(),
                new TrainerState.Rng(6, "", ""), saved.schedule(), saved.optimizer(), null, List.of());
        assertThatThrownBy(() -> saved.requireSameRun(otherSeed, FILE)).hasMessageContaining("cannot resume: the checkpoint has seed 5 but this run has 6");
        TrainerState otherData = new TrainerState(saved.format(), 0, 9, 0, 0, 5, 0, "default", "LORA", 2, 2, true, 2,
                new TrainerState.Data(10, "1"), saved.rng(), saved.schedule(), saved.optimizer(), null, List.of());
        assertThatThrownBy(() -> saved.requireSameRun(otherData, FILE)).hasMessageContaining("data fingerprint");
    }
}
