package ai.peft4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.data.CausalLmEncoder;
import ai.peft4j.api.data.Example;
import ai.peft4j.api.data.LengthBucketBatcher;
import ai.peft4j.api.data.TokenizedExample;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.full.FullFineTuningConfig;
import ai.peft4j.api.full.ModelFactory;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import ai.peft4j.api.train.Checkpoints;
import ai.peft4j.api.train.EvalMetrics;
import ai.peft4j.api.train.LearningRateSchedule;
import ai.peft4j.api.train.StepMetrics;
import ai.peft4j.api.train.Trainer;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingDivergedException;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.api.train.TrainingResult;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The trainer's behaviour on a real engine, with the {@code full} method on a tiny randomly
 * initialised GPT-2 (and any method configs a subclass adds): learning from scratch and saving a
 * loadable model, resume equal to an uninterrupted run, accumulation equal to a larger batch,
 * NaN stops keeping the last good checkpoint, checkpoint rotation, evaluation and listener events.
 * An engine module extends it:
 *
 * <pre>{@code
 * class PtTrainerTest extends AbstractTrainerTest {
 *   protected Engine engine() { return new PtEngine(); }
 * }
 * }</pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractTrainerTest {
    private static final List<String> TEXTS = List.of("배우들 연기가 정말 좋았고 음악도 아름다웠다.", "스토리가 너무 지루해서 중간에 잠들었어요.",
            "다시 보고 싶은 영화", "시간이 아까운 영화였다", "이 영화 정말 재밌어요!", "별로였어요 ㅠㅠ", "감독의 연출이 훌륭하다", "배경 음악이 인상적이었다",
            "결말이 너무 뻔했다", "가족과 함께 보기 좋은 영화");

    @TempDir
    protected Path tmp;

    protected Path scratchModel;
    protected List<TokenizedExample> lmData;
    protected List<TokenizedExample> sftData;

    protected abstract Engine engine();

    /**
     * Method configs the resume check runs with besides {@code full} (for example a LoRA with
     * dropout, which checks that the engine's random source is reseeded deterministically).
     */
    protected List<PeftConfig> extraResumeConfigs(Path model) {
        return List.of();
    }

    @BeforeAll
    void buildScratchModelAndData() throws IOException {
        Path root = Files.createTempDirectory("peft4j-trainer-test");
        scratchModel = ModelFactory.writeRandom(root.resolve("scratch-gpt2"), ModelFactory.gpt2Config(1250, 64, 32, 2, 2), 11);
        ModelFactory.copyTokenizer(Fixtures.model("tiny-gpt2"), scratchModel);
        try (TextTokenizer tok = TextTokenizer.load(scratchModel)) {
            lmData = new ArrayList<>();
            for (String s : TEXTS) {
                lmData.add(TokenizedExample.ofSequence(tok.encode(s)));
            }
            List<Example> ex = new ArrayList<>();
            for (String s : TEXTS) {
                ex.add(new Example(s + " 한줄 요약:", " " + s.substring(0, Math.min(6, s.length()))));
            }
            sftData = CausalLmEncoder.builder(tok).eosTokenId(1249).maxLength(48).build().encode(ex).examples();
        }
    }

    protected PeftModel open(Path dir) {
        return PeftModel.open(dir, engine(), new EngineOptions("cpu", 0));
    }

    protected TrainingConfig.Builder base() {
        return TrainingConfig.builder().optOptimizer("adamw").optLearningRate(3e-3).optBatchSize(2).optSeed(5)
                .optSaveFinal(false);
    }

    @Test
    void fullFineTuningFromScratchLearnsAndSavesALoadableModel() {
        Path out = tmp.resolve("scratch-out");
        Logits trained;
        int[][] ids = {lmData.get(0).inputIds()};
        TrainingResult r;
        try (PeftModel model = open(scratchModel)) {
            model.addAdapter("full", PeftMethods.byName("full").parseConfig(new JsonObject(), "test"));
            assertThat(model.trainableParameters().trainable()).isEqualTo(model.runtime().checkpoint().parameterCount());
            r = new Trainer(model, base().optLearningRate(1e-2).optMaxSteps(40).optSchedule(LearningRateSchedule.Type.CONSTANT)
                    .optOutputDir(out).optSaveFinal(true).build()).train(lmData, null);
            trained = model.forward(ids, null);
        }
        assertThat(r.losses().get(0)).as("random init loss ≈ ln(vocab)").isCloseTo(Math.log(1250), within(0.5));
        assertThat(r.losses().get(r.losses().size() - 1)).as("loss after 40 steps").isLessThan(r.losses().get(0) - 2.0);
        assertThat(out.resolve("config.json")).exists();
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(out.resolve("tokenizer.json")).exists();
        assertThat(out.resolve("adapter_config.json")).doesNotExist();
        try (PeftModel reloaded = open(out)) {
            assertThat(reloaded.forward(ids, null).data()).containsExactly(trained.data());
        }
    }

    Stream<String> resumeCases() {
        List<String> names = new ArrayList<>();
        names.add("full");
        for (int i = 0; i < extraResumeConfigs(scratchModel).size(); i++) {
            names.add("extra-" + i);
        }
        return names.stream();
    }

    private PeftConfig resumeConfig(String name) {
        return name.equals("full") ? new FullFineTuningConfig() : extraResumeConfigs(scratchModel).get(Integer.parseInt(name.substring(6)));
    }

    @ParameterizedTest
    @MethodSource("resumeCases")
    void stoppedAndResumedRunEqualsUninterruptedRun(String method) {
        TrainingConfig.Builder cfg = base().optGradientAccumulationSteps(2).optMaxSteps(9).optSchedule(LearningRateSchedule.Type.COSINE)
                .optWarmupSteps(2).optMaxGradNorm(0.5).optWeightDecay(0.01).optCheckpointEverySteps(2).optKeepCheckpoints(2)
                .optEvalEverySteps(3).optBucketWindowBatches(2);
        Map<String, HostTensor> straight;
        List<Double> straightLosses;
        try (PeftModel model = open(scratchModel)) {
            model.setSeed(3).addAdapter("default", resumeConfig(method));
            TrainingResult r = new Trainer(model, cfg.optOutputDir(tmp.resolve(method + "-straight")).build()).train(sftData, lmData);
            straight = snapshot(model);
            straightLosses = r.losses();
        }
        Path out = tmp.resolve(method + "-killed");
        try (PeftModel model = open(scratchModel)) {
            model.setSeed(3).addAdapter("default", resumeConfig(method));
            Trainer t = new Trainer(model, cfg.optOutputDir(out).build());
            t.addListener(new TrainingListener() {
                @Override
                public void onStepEnd(StepMetrics m) {
                    if (m.step() == 5) {
                        t.requestStop();
                    }
                }
            });
            TrainingResult r = t.train(sftData, lmData);
            assertThat(r.completed()).isFalse();
            assertThat(r.steps()).isEqualTo(5);
        }
        assertThat(Checkpoints.latest(out)).contains(Checkpoints.dir(out, 4));
        try (PeftModel model = open(scratchModel)) {
            model.setSeed(99).addAdapter("default", resumeConfig(method)); // a different init: resume must overwrite it
            TrainingResult r = new Trainer(model, cfg.optOutputDir(out).build()).resume(Checkpoints.latest(out).get(), sftData, lmData);
            assertThat(r.completed()).isTrue();
            assertThat(r.losses()).hasSize(5);
            for (int i = 0; i < 5; i++) {
                assertThat(r.losses().get(i)).as("loss of step " + (5 + i)).isCloseTo(straightLosses.get(4 + i), within(1e-6));
            }
            Map<String, HostTensor> resumed = snapshot(model);
            assertThat(resumed.keySet()).isEqualTo(straight.keySet());
            for (String k : straight.keySet()) {
                assertThat((double) resumed.get(k).maxAbsDiff(straight.get(k))).as(method + " " + k).isLessThanOrEqualTo(1e-6);
            }
        }
        // a checkpoint cannot silently resume with other data or settings
        try (PeftModel model = open(scratchModel)) {
            model.addAdapter("default", resumeConfig(method));
            Trainer t = new Trainer(model, cfg.optOutputDir(out).optSeed(6).build());
            assertThatThrownBy(() -> t.resume(Checkpoints.latest(out).get(), sftData, null)).hasMessageContaining("seed");
            Trainer t2 = new Trainer(model, cfg.optOutputDir(out).optSeed(5).build());
            assertThatThrownBy(() -> t2.resume(Checkpoints.latest(out).get(), lmData, null)).hasMessageContaining("data fingerprint");
        }
    }

    private static Map<String, HostTensor> snapshot(PeftModel model) {
        Map<String, HostTensor> m = new TreeMap<>();
        ParameterStore store = model.runtime().parameters();
        for (String k : model.adapter("default").stateKeys().values()) {
            m.put(k, store.get(k));
        }
        return m;
    }

    @Test
    void accumulationEqualsOneLargerBatch() {
        List<TokenizedExample> same = new ArrayList<>();
        for (TokenizedExample e : lmData) {
            if (same.size() < 4) {
                int[] ids = java.util.Arrays.copyOf(e.inputIds(), 8);
                same.add(TokenizedExample.ofSequence(ids));
            }
        }
        Map<String, HostTensor> big;
        TrainingConfig.Builder c = base().optOptimizer("sgd").optLearningRate(0.5).optMaxGradNorm(0).optShuffle(false)
                .optBucketWindowBatches(1).optSchedule(LearningRateSchedule.Type.CONSTANT);
        try (PeftModel model = open(scratchModel)) {
            model.addAdapter("default", new FullFineTuningConfig());
            new Trainer(model, c.optBatchSize(4).optGradientAccumulationSteps(1).optMaxSteps(2).build()).train(same, null);
            big = snapshot(model);
        }
        try (PeftModel model = open(scratchModel)) {
            model.addAdapter("default", new FullFineTuningConfig());
            new Trainer(model, c.optBatchSize(2).optGradientAccumulationSteps(2).optMaxSteps(2).build()).train(same, null);
            Map<String, HostTensor> acc = snapshot(model);
            for (String k : big.keySet()) {
                assertThat((double) acc.get(k).maxAbsDiff(big.get(k))).as(k).isLessThanOrEqualTo(1e-5);
            }
        }
    }

    @Test
    void nonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint() {
        Path out = tmp.resolve("diverge");
        try (PeftModel model = open(scratchModel)) {
            model.addAdapter("default", new FullFineTuningConfig());
            Trainer t = new Trainer(model, base().optOptimizer("sgd").optLearningRate(1e38).optMaxGradNorm(0).optMaxSteps(10)
                    .optSchedule(LearningRateSchedule.Type.CONSTANT).optCheckpointEverySteps(1).optOutputDir(out).build());
            assertThatThrownBy(() -> t.train(lmData, null)).isInstanceOf(TrainingDivergedException.class)
                    .hasMessageContaining("training diverged at step 2").hasMessageContaining("checkpoint-1")
                    .hasMessageContaining("learning rate")
                    .satisfies(e -> assertThat(((TrainingDivergedException) e).lastGoodCheckpoint()).contains(Checkpoints.dir(out, 1)));
        }
        assertThat(Checkpoints.list(out)).containsExactly(Checkpoints.dir(out, 1));
    }

    @Test
    void checkpointsAreCompleteRotatedAndEventsAreReported() throws IOException {
        Path out = tmp.resolve("rotate");
        List<Long> checkpointSteps = new ArrayList<>();
        List<EvalMetrics> evals = new ArrayList<>();
        List<StepMetrics> steps = new ArrayList<>();
        try (PeftModel model = open(scratchModel)) {
            model.addAdapter("default", new FullFineTuningConfig());
            Trainer t = new Trainer(model, base().optMaxSteps(5).optCheckpointEverySteps(1).optKeepCheckpoints(2).optEvalEverySteps(2)
                    .optOutputDir(out).build());
            t.addListener(new TrainingListener() {
                @Override
                public void onStepEnd(StepMetrics m) {
                    steps.add(m);
                }

                @Override
                public void onEval(EvalMetrics m) {
                    evals.add(m);
                }

                @Override
                public void onCheckpoint(long step, Path dir) {
                    checkpointSteps.add(step);
                }
            });
            TrainingResult r = t.train(sftData, lmData);
            assertThat(r.lastEvalLoss()).isEqualTo(evals.get(evals.size() - 1).loss());
            // the eval loss is the token-weighted mean over the eval set
            double sum = 0;
            long tokens = 0;
            for (TokenizedExample e : lmData) {
                var lr = model.loss(LengthBucketBatcher.collate(List.of(e), 0));
                sum += lr.lossSum();
                tokens += lr.tokens();
            }
            assertThat(r.lastEvalLoss()).isCloseTo(sum / tokens, within(1e-4));
        }
        assertThat(checkpointSteps).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(evals).extracting(EvalMetrics::step).containsExactly(2L, 4L, 5L);
        assertThat(steps).hasSize(5);
        StepMetrics last = steps.get(4);
        assertThat(last.totalSteps()).isEqualTo(5);
        assertThat(last.tokensPerSecond()).isPositive();
        assertThat(last.etaSeconds()).isEqualTo(0.0);
        assertThat(steps.get(0).learningRate()).isEqualTo(3e-3); // linear, no warm-up: full lr on the first update
        assertThat(Checkpoints.list(out)).containsExactly(Checkpoints.dir(out, 4), Checkpoints.dir(out, 5));
        for (Path c : Checkpoints.list(out)) {
            assertThat(c.resolve(Checkpoints.STATE)).exists();
            assertThat(c.resolve(Checkpoints.OPTIMIZER)).exists();
            assertThat(c.resolve("model.safetensors")).exists();
            try (Checkpoint ckpt = Checkpoint.open(c)) {
                assertThat(ckpt.parameterCount()).isPositive();
            }
        }
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString())).allMatch(n -> n.startsWith("checkpoint-"));
        }
    }
}
