package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.train.StepMetrics;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.examples.pretrain.KoreanBasePretraining;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j pretrain} with an interrupted run in --out: refused without a flag, --resume continues it, --fresh starts over. */
class PretrainCommandTest {
    @TempDir
    Path tmp;
    Path corpus;
    Path out;

    @BeforeEach
    void tinyCorpus() throws IOException {
        corpus = Files.createDirectories(tmp.resolve("corpus"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            lines.add("오늘 서울의 낮 기온은 " + (20 + i) + "도까지 오르겠다.");
            lines.add("프로야구 경기에서 " + i + "대 " + (i + 1) + "로 이겼다.");
        }
        Files.write(corpus.resolve("lines.txt"), lines, StandardCharsets.UTF_8);
        out = tmp.resolve("model");
    }

    private String[] args(String... extra) {
        List<String> a = new ArrayList<>(List.of("pretrain", "--corpus", corpus.toString(), "--out", out.toString(), "--vocab", "300",
                "--hidden", "32", "--layers", "1", "--heads", "2", "--intermediate", "64", "--batch", "2", "--seq", "16", "--steps", "4",
                "--lr", "1e-2", "--checkpoint-every", "2", "--device", "cpu", "--threads", "1"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** Leaves the run these flags describe killed after step 3, with checkpoint-2 written. */
    private void interruptedRun() throws IOException {
        KoreanBasePretraining recipe = new KoreanBasePretraining(Engines.byName("pytorch"), new EngineOptions("cpu", 1)).setVocabSize(300)
                .setShape(32, 1, 2, 64).setBatch(2, 16).setSteps(4).setLearningRate(1e-2).setCheckpointEvery(2);
        List<String> lines = recipe.readCorpus(corpus, null);
        assertThatThrownBy(() -> recipe.run(lines, out, new TrainingListener() {
            @Override
            public void onStepEnd(StepMetrics m) {
                if (m.step() == 3) {
                    throw new IllegalStateException("killed");
                }
            }
        })).hasMessageContaining("killed");
    }

    @Test
    void anInterruptedRunIsRefusedWithoutAFlagAndContinuedWithResume() throws IOException {
        interruptedRun();

        CliRun refused = CliRun.of(args());
        assertThat(refused.exit()).as(refused.toString()).isNotZero();
        assertThat(refused.err()).contains("interrupted pretraining run (checkpoint-2)").contains("--resume").contains("--fresh");
        assertThat(KoreanBasePretraining.interruptedRun(out)).isPresent();

        CliRun resumed = CliRun.of(args("--resume", "--no-progress"));
        assertThat(resumed.exit()).as(resumed.toString()).isZero();
        assertThat(resumed.out()).contains("continuing the interrupted run in " + out + " from checkpoint-2")
                .contains("pretrained 4 steps");
        assertThat(out.resolve(KoreanBasePretraining.CHECKPOINTS)).doesNotExist();
    }

    @Test
    void freshDeletesTheInterruptedRunAndStartsOver() throws IOException {
        interruptedRun();

        CliRun fresh = CliRun.of(args("--fresh", "--no-progress"));

        assertThat(fresh.exit()).as(fresh.toString()).isZero();
        assertThat(fresh.out()).contains("pretrained 4 steps").doesNotContain("continuing");
        assertThat(out.resolve(KoreanBasePretraining.CHECKPOINTS)).doesNotExist();
    }

    @Test
    void taskPairsJoinTheCorpusAndTheCountIsReported() {
        CliRun run = CliRun.of(args("--task-pairs", "40", "--no-progress"));

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).containsPattern("task pairs: 40 in natural forms \\(seed 7300001; \\d+ generated pairs dropped as "
                + "overlapping the demo's train or test split\\)").contains("pretrained 4 steps");
        CliRun bad = CliRun.of(args("--task-pairs", "-1", "--no-progress"));
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("task pairs must be >= 0");
    }
}
