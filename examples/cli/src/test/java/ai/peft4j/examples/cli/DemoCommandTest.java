package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.peft.AdapterFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A small run of the main job on the embedded model: every stage runs and the adapters are saved in PEFT format. */
class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void quickDemoRunsEveryStageOnTheEmbeddedModel() {
        CliRun run = CliRun.of("demo", "--train-limit", "16", "--test-limit", "4", "--epochs", "1", "--prompt-tuning-epochs", "1", "--no-progress", "--out", tmp.toString());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("[1/4] zero-shot", "[2/4] LoRA", "[3/4] prompt tuning", "[4/4]",
                "| method | trainable params | train time | ROUGE-1 | ROUGE-2 | ROUGE-L |", "| LoRA on ONNX Runtime |");
        for (String method : new String[] {"lora", "prompt-tuning"}) {
            assertThat(Files.isRegularFile(tmp.resolve(method).resolve(AdapterFiles.CONFIG))).as(method).isTrue();
            assertThat(Files.isRegularFile(tmp.resolve(method).resolve(AdapterFiles.WEIGHTS))).as(method).isTrue();
        }
    }

    @Test
    void methodsFlagTrainsOnlyTheNamedAdapter() {
        CliRun run = CliRun.of("demo", "--methods", "prompt-tuning", "--train-limit", "8", "--test-limit", "2", "--prompt-tuning-epochs", "1",
                "--prompt-tuning-lr", "0.1", "--no-progress", "--out", tmp.toString());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("[2/4] LoRA: skipped", "1 epochs, lr 0.1", "[4/4] ONNX Runtime: skipped (no LoRA adapter)", "| prompt tuning |")
                .doesNotContain("| LoRA |");
        assertThat(Files.exists(tmp.resolve("lora"))).isFalse();
        assertThat(Files.isRegularFile(tmp.resolve("prompt-tuning").resolve(AdapterFiles.WEIGHTS))).isTrue();
    }

    @Test
    void unknownMethodIsAOneLineErrorThatListsTheChoices() {
        CliRun run = CliRun.of("demo", "--methods", "dora", "--out", tmp.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("unknown demo method 'dora'", "lora, prompt-tuning");
    }
}
