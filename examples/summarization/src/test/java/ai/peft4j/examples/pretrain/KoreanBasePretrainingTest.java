package ai.peft4j.examples.pretrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.train.StepMetrics;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.api.train.TrainingResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pretraining corpus (text lines, chatbot Q/A columns, the train documents weighted up, never
 * the summaries) and the recipe's resume: a run killed after a checkpoint and started again ends
 * with the same model as an uninterrupted one.
 */
class KoreanBasePretrainingTest {
    @TempDir
    Path tmp;

    @Test
    void readCorpusRepeatsTheDocumentsAndLeavesOutTheSummaries() throws IOException {
        Path corpus = Files.createDirectories(tmp.resolve("corpus"));
        Files.writeString(corpus.resolve("reviews.txt"), "재밌다\n\n지루했다\n", StandardCharsets.UTF_8);
        Files.writeString(corpus.resolve("chat.csv"), "Q,A,label\n안녕,반가워,0\n", StandardCharsets.UTF_8);
        Path train = tmp.resolve("train.csv");
        Files.writeString(train, "id,text,summary\nA,첫 문서다.,첫 요약\nB,\"둘째, 문서다.\",둘째 요약\n", StandardCharsets.UTF_8);

        KoreanBasePretraining recipe = new KoreanBasePretraining(null, EngineOptions.defaults()).setDocumentRepeat(3);
        List<String> lines = recipe.readCorpus(corpus, train);

        assertThat(lines).containsExactly("안녕", "반가워", "재밌다", "지루했다",
                "첫 문서다.", "둘째, 문서다.", "첫 문서다.", "둘째, 문서다.", "첫 문서다.", "둘째, 문서다.");
        assertThat(lines).noneMatch(l -> l.contains("요약"));
    }

    @Test
    void documentRepeatBelowOneIsRefused() {
        assertThatThrownBy(() -> new KoreanBasePretraining(null, EngineOptions.defaults()).setDocumentRepeat(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1, got 0");
    }

    @Test
    void aKilledRunResumesFromItsCheckpointToTheSameModel() throws IOException {
        TrainingResult whole = tinyRecipe(32).run(tinyCorpus(), tmp.resolve("whole"), null);
        assertThat(whole.steps()).isEqualTo(6L);
        assertThat(tmp.resolve("whole").resolve(KoreanBasePretraining.CHECKPOINTS)).doesNotExist();

        Path out = tmp.resolve("killed");
        assertThatThrownBy(() -> tinyRecipe(32).run(tinyCorpus(), out, killAt(5))).hasMessageContaining("killed at step 5");
        assertThat(KoreanBasePretraining.interruptedRun(out)).hasValueSatisfying(c -> assertThat(c.getFileName()).hasToString("checkpoint-4"));

        assertThatThrownBy(() -> tinyRecipe(32).run(tinyCorpus(), out, null)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("interrupted pretraining run (checkpoint-4)").hasMessageContaining("--resume");
        assertThat(KoreanBasePretraining.interruptedRun(out)).as("a refused run loses nothing").isPresent();

        List<Long> stepsAfterResume = new ArrayList<>();
        TrainingResult resumed = tinyRecipe(32).setResume(true).run(tinyCorpus(), out, new TrainingListener() {
            @Override
            public void onStepEnd(StepMetrics m) {
                stepsAfterResume.add(m.step());
            }
        });

        assertThat(stepsAfterResume).containsExactly(5L, 6L);
        assertThat(resumed.steps()).isEqualTo(6L);
        assertThat(out.resolve(KoreanBasePretraining.CHECKPOINTS)).doesNotExist();
        assertThat(KoreanBasePretraining.interruptedRun(out)).isEmpty();
        Map<String, float[]> expected = tensors(tmp.resolve("whole"));
        Map<String, float[]> actual = tensors(out);
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (String k : expected.keySet()) {
            assertThat(actual.get(k)).as(k).containsExactly(expected.get(k));
        }
    }

    @Test
    void anInterruptedRunOfAnotherShapeIsNotContinuedSilently() throws IOException {
        Path out = tmp.resolve("killed");
        assertThatThrownBy(() -> tinyRecipe(32).run(tinyCorpus(), out, killAt(3))).hasMessageContaining("killed at step 3");

        assertThatThrownBy(() -> tinyRecipe(48).setResume(true).run(tinyCorpus(), out, null)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("hidden_size 32 (asked 48)").hasMessageContaining("--fresh");

        KoreanBasePretraining.deleteCheckpoints(out);
        assertThat(tinyRecipe(48).run(tinyCorpus(), out, null).steps()).isEqualTo(6L);
    }

    private static KoreanBasePretraining tinyRecipe(int hidden) {
        return new KoreanBasePretraining(Engines.byName("pytorch"), new EngineOptions("cpu", 1)).setVocabSize(300)
                .setShape(hidden, 1, 2, 64).setBatch(2, 16).setSteps(6).setLearningRate(1e-2).setCheckpointEvery(2);
    }

    private static List<String> tinyCorpus() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            lines.add("오늘 서울의 낮 기온은 " + (20 + i) + "도까지 오르겠다.");
            lines.add("프로야구 경기에서 " + i + "대 " + (i + 1) + "로 이겼다.");
        }
        return lines;
    }

    private static TrainingListener killAt(long step) {
        return new TrainingListener() {
            @Override
            public void onStepEnd(StepMetrics m) {
                if (m.step() == step) {
                    throw new IllegalStateException("killed at step " + step);
                }
            }
        };
    }

    private static Map<String, float[]> tensors(Path modelDir) {
        Map<String, float[]> out = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(modelDir.resolve("model.safetensors"))) {
            for (String k : f.tensors().keySet()) {
                out.put(k, f.readHost(k).data());
            }
        }
        return out;
    }
}
