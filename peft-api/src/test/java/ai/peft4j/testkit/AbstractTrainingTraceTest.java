package ai.peft4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.peft4j.api.data.TokenizedExample;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.train.LearningRateSchedule;
import ai.peft4j.api.train.StepMetrics;
import ai.peft4j.api.train.Trainer;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.api.train.TrainingResult;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays a training trace recorded by Hugging Face PEFT ({@code fixtures/training/<base>/<method>}:
 * {@code init/}, 3 plain-SGD steps on one batch, {@code grads_step1.safetensors}, {@code step3/})
 * through the shared {@link Trainer} and checks, for every trace:
 * <ul>
 *   <li>the loss before every step, and after the last, within {@link #lossTolerance()};
 *   <li>the gradient global norm of every step, and the step-1 gradients tensor by tensor;
 *   <li>the adapter tensors after step 3 within {@link #tensorTolerance()};
 *   <li>every base weight bit-identical to the checkpoint afterwards, and none replaced.
 * </ul>
 * A method module extends it and names its traces:
 *
 * <pre>{@code
 * class LoraTrainingTraceTest extends AbstractTrainingTraceTest {
 *   protected Engine engine() { return Engines.byName("pytorch"); }
 *   protected List<Trace> traces() { return List.of(new Trace("tiny-gpt2", "lora"), new Trace("tiny-llama", "lora")); }
 * }
 * }</pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractTrainingTraceTest {

    /** A trace directory {@code training/<base>/<method>}. */
    public record Trace(String base, String method) {
        public Path dir() {
            return Fixtures.training(base, method);
        }

        @Override
        public String toString() {
            return base + "/" + method;
        }
    }

    protected abstract Engine engine();

    protected abstract List<Trace> traces();

    /** Absolute tolerance on losses (the fixtures' README suggests 1e-5; the issue asks 1e-4). */
    protected double lossTolerance() {
        return 1e-4;
    }

    /** Absolute tolerance on gradients and trained tensors. */
    protected double tensorTolerance() {
        return 1e-4;
    }

    Stream<Trace> traceCases() {
        return traces().stream();
    }

    @ParameterizedTest
    @MethodSource("traceCases")
    void threeSgdStepsThroughTheTrainerReproducePeft(Trace trace) {
        JsonObject t = Fixtures.json(trace.dir().resolve("trace.json"));
        JsonObject batchJson = t.getAsJsonObject("batch");
        int[][] ids = Fixtures.ints2(batchJson.get("input_ids"));
        int[][] mask = Fixtures.ints2(batchJson.get("attention_mask"));
        int[][] labels = Fixtures.ints2(batchJson.get("labels"));
        for (int[] row : mask) {
            for (int m : row) {
                assertThat(m).as("trace batches are unpadded").isEqualTo(1);
            }
        }
        JsonObject opt = t.getAsJsonObject("optimizer");
        assertThat(opt.get("type").getAsString()).isEqualTo("SGD");
        double lr = opt.get("lr").getAsDouble();
        double[] losses = toDouble(t.getAsJsonArray("losses"));
        double[] norms = toDouble(t.getAsJsonArray("grad_global_norm"));
        int steps = losses.length;

        try (PeftModel model = PeftModel.open(Fixtures.model(trace.base()), engine(), new EngineOptions("cpu", 0))) {
            Adapter adapter = model.loadAdapter(trace.dir().resolve("init"), "default");
            ParameterStore store = model.runtime().parameters();
            TrainBatch batch = new TrainBatch(ids, mask, labels);

            // step-1 gradients of the mean loss, through the same engine call the trainer makes
            LossResult r = model.runtime().lossAndGradients(batch, model.hooks(), true);
            try (SafetensorsFile g = SafetensorsFile.open(trace.dir().resolve("grads_step1.safetensors"))) {
                for (Map.Entry<String, String> e : adapter.stateKeys().entrySet()) {
                    HostTensor expected = g.readHost(e.getKey());
                    HostTensor sum = r.gradients().get(e.getValue());
                    assertThat(sum).as(trace + ": gradient of " + e.getKey()).isNotNull();
                    float[] mean = sum.data().clone();
                    for (int i = 0; i < mean.length; i++) {
                        mean[i] /= r.tokens();
                    }
                    assertThat((double) new HostTensor(sum.shape(), mean).maxAbsDiff(expected)).as(trace + ": step-1 grad " + e.getKey())
                            .isLessThanOrEqualTo(tensorTolerance());
                }
            }

            List<TokenizedExample> data = new ArrayList<>();
            for (int i = 0; i < ids.length; i++) {
                data.add(new TokenizedExample(ids[i], labels[i]));
            }
            TrainingConfig cfg = TrainingConfig.builder().optOptimizer("sgd").optLearningRate(lr)
                    .optSchedule(LearningRateSchedule.Type.CONSTANT).optMaxGradNorm(0).optBatchSize(ids.length)
                    .optMaxSteps(steps).optShuffle(false).optBucketWindowBatches(1).optSeed(t.get("seed").getAsLong()).build();
            List<StepMetrics> metrics = new ArrayList<>();
            Trainer trainer = new Trainer(model, cfg);
            trainer.addListener(new TrainingListener() {
                @Override
                public void onStepEnd(StepMetrics m) {
                    metrics.add(m);
                }
            });
            TrainingResult result = trainer.train(data, null);
            assertThat(result.completed()).isTrue();
            for (int s = 0; s < steps; s++) {
                assertThat(result.losses().get(s)).as(trace + ": loss before step " + (s + 1)).isCloseTo(losses[s], within(lossTolerance()));
                assertThat(metrics.get(s).gradNorm()).as(trace + ": grad norm at step " + (s + 1))
                        .isCloseTo(norms[s], within(tensorTolerance() * Math.max(1, norms[s])));
                assertThat(metrics.get(s).learningRate()).isEqualTo(lr);
            }
            assertThat(model.loss(batch).meanLoss()).as(trace + ": loss after the last step")
                    .isCloseTo(t.get("loss_after_step3").getAsDouble(), within(lossTolerance()));

            try (SafetensorsFile after = SafetensorsFile.open(trace.dir().resolve("step3").resolve(AdapterFiles.WEIGHTS))) {
                for (Map.Entry<String, String> e : adapter.stateKeys().entrySet()) {
                    assertThat((double) store.get(e.getValue()).maxAbsDiff(after.readHost(e.getKey())))
                            .as(trace + ": " + e.getKey() + " after step " + steps).isLessThanOrEqualTo(tensorTolerance());
                }
            }
            for (String key : model.runtime().checkpoint().keys()) {
                assertThat(store.isBaseReplaced(key)).as(trace + ": base weight " + key + " replaced").isFalse();
                assertThat(store.get(key)).as(trace + ": base weight " + key + " bit-identical")
                        .isEqualTo(model.runtime().checkpoint().readHost(key));
            }
        }
    }

    private static double[] toDouble(com.google.gson.JsonArray a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.get(i).getAsDouble();
        }
        return d;
    }
}
