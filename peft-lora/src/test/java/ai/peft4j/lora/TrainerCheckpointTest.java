package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.TokenizedExample;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.train.Checkpoints;
import ai.peft4j.api.train.StepMetrics;
import ai.peft4j.api.train.Trainer;
import ai.peft4j.api.train.TrainerState;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.api.train.TrainingResult;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LoRA run's checkpoints through {@link Checkpoints}: the state file is what the trainer's
 * earlier hand-built writer produced for the same values, a checkpoint in that format resumes to
 * the uninterrupted run, and a damaged checkpoint is refused naming it.
 */
class TrainerCheckpointTest {
    @TempDir
    Path tmp;

    private static List<TokenizedExample> data() {
        return Fixtures.randomSequences(3, 8, 12, 50);
    }

    private static PeftModel model() {
        PeftModel m = PeftModel.open(Fixtures.model("tiny-gpt2"), new PtEngine(), new EngineOptions("cpu", 0));
        m.setSeed(1).addAdapter("default", LoraConfig.builder().r(4).loraAlpha(8).build());
        return m;
    }

    private TrainingConfig config(Path out) {
        return TrainingConfig.builder().optLearningRate(1e-2).optBatchSize(2).optMaxSteps(4).optSeed(3).optCheckpointEverySteps(2)
                .optEvalEverySteps(2).optSaveFinal(false).optOutputDir(out).build();
    }

    private static Map<String, float[]> values(PeftModel m) {
        Map<String, float[]> v = new TreeMap<>();
        for (String k : m.adapter("default").stateKeys().values()) {
            v.put(k, m.runtime().parameters().get(k).data());
        }
        return v;
    }

    /** Trains to step 2 with a checkpoint there and stops; returns the checkpoint. */
    private Path stoppedAtStep2(Path out) {
        try (PeftModel m = model()) {
            Trainer t = new Trainer(m, config(out));
            t.addListener(new TrainingListener() {
                @Override
                public void onStepEnd(StepMetrics s) {
                    if (s.step() == 2) {
                        t.requestStop();
                    }
                }
            });
            assertThat(t.train(data(), data().subList(0, 2)).completed()).isFalse();
        }
        assertThat(Checkpoints.latest(out)).contains(Checkpoints.dir(out, 2));
        return Checkpoints.dir(out, 2);
    }

    @Test
    void aCheckpointInTheEarlierFormatResumesToTheUninterruptedRun() throws IOException {
        TrainingResult straight;
        Map<String, float[]> straightValues;
        try (PeftModel m = model()) {
            straight = new Trainer(m, config(tmp.resolve("straight"))).train(data(), data().subList(0, 2));
            straightValues = values(m);
        }
        Path checkpoint = stoppedAtStep2(tmp.resolve("stopped"));
        Path stateFile = checkpoint.resolve(Checkpoints.STATE);
        String written = Files.readString(stateFile);
        // The earlier trainer wrote a JsonObject with this Gson: the same bytes for the same values.
        String earlierWriter = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues().create()
                .toJson(JsonParser.parseString(written)) + "\n";
        assertThat(written).isEqualTo(earlierWriter);
        Files.writeString(stateFile, earlierWriter);
        TrainerState state = Checkpoints.readState(checkpoint);
        assertThat(state.globalStep()).isEqualTo(2);
        assertThat(state.peftType()).isEqualTo("LORA");
        assertThat(state.logHistory()).extracting(TrainerState.LogEntry::step).containsExactly(1L, 2L, 2L);

        try (PeftModel m = model()) {
            TrainingResult rest = new Trainer(m, config(tmp.resolve("stopped"))).resume(checkpoint, data(), data().subList(0, 2));
            assertThat(rest.steps()).isEqualTo(4);
            assertThat(rest.losses()).hasSize(2);
            for (int i = 0; i < 2; i++) {
                assertThat(rest.losses().get(i)).isCloseTo(straight.losses().get(2 + i), within(1e-6));
            }
            assertThat(rest.lastEvalLoss()).isCloseTo(straight.lastEvalLoss(), within(1e-6));
            Map<String, float[]> resumed = values(m);
            for (String k : straightValues.keySet()) {
                float[] a = resumed.get(k);
                float[] b = straightValues.get(k);
                for (int i = 0; i < a.length; i++) {
                    assertThat((double) a[i]).as(k).isCloseTo(b[i], within(1e-6));
                }
            }
        }
        TrainerState end = Checkpoints.readState(Checkpoints.latest(tmp.resolve("stopped")).orElseThrow());
        assertThat(end.globalStep()).isEqualTo(4);
        assertThat(end.logHistory()).as("the resumed run continues the log").extracting(TrainerState.LogEntry::step)
                .containsExactly(1L, 2L, 2L, 3L, 4L, 4L);
    }

    @Test
    void aDamagedCheckpointIsRefusedNamingItAndLeavesTheAdapterAlone() throws IOException {
        Path good = stoppedAtStep2(tmp.resolve("run"));
        Path truncatedWeights = copy(good, tmp.resolve("w/checkpoint-2"));
        truncate(truncatedWeights.resolve(AdapterFiles.WEIGHTS));
        Path truncatedState = copy(good, tmp.resolve("s/checkpoint-2"));
        truncate(truncatedState.resolve(Checkpoints.STATE));
        Path noOptimizer = copy(good, tmp.resolve("o/checkpoint-2"));
        Files.delete(noOptimizer.resolve(Checkpoints.OPTIMIZER));

        try (PeftModel m = model()) {
            Map<String, float[]> before = values(m);
            Trainer t = new Trainer(m, config(tmp.resolve("run")));
            assertThatThrownBy(() -> t.resume(truncatedWeights, data(), null)).isInstanceOf(Peft4jException.class)
                    .hasMessageStartingWith(truncatedWeights + ": damaged checkpoint").hasMessageContaining(AdapterFiles.WEIGHTS);
            assertThatThrownBy(() -> t.resume(truncatedState, data(), null)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining(truncatedState.resolve(Checkpoints.STATE).toString()).hasMessageContaining("not valid JSON");
            values(m).forEach((k, v) -> assertThat(v).as(k + " untouched by refused resumes").containsExactly(before.get(k)));
            assertThatThrownBy(() -> t.resume(noOptimizer, data(), null)).isInstanceOf(Peft4jException.class)
                    .hasMessageStartingWith(noOptimizer + ": damaged checkpoint").hasMessageContaining(Checkpoints.OPTIMIZER);
        }
    }

    private static void truncate(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(b, b.length / 2));
    }

    private static Path copy(Path dir, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
