package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CliBenchTrainTest {
    @Test
    void benchTrainOnTheTinyPresetPrintsTokensPerSecondRssAndTheShareOfTheMeasuredPeak() {
        CliRun run = CliRun.of("bench", "train", "--preset", "tiny", "--method", "lora", "--steps", "3", "--warmup", "1", "--batch", "2",
                "--seq", "32", "--threads", "1");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("roofline: tiny GEMM mix at 1 threads").containsPattern("step 4/4 loss \\d")
                .containsPattern("summary: tiny lora batch 2 x seq 32: [0-9.]+ tokens/s \\(median step [0-9.]+ s\\), peak RSS \\d+ MiB, "
                        + "[0-9.]+ GFLOP/s achieved / [0-9.]+ GFLOP/s fp32 matmul peak = \\d+%")
                .contains("load average before: ", "load average after: ");
    }

    @Test
    void benchRooflinePrintsOneLinePerGemmShapeAndPromptTuningTrains() {
        CliRun roof = CliRun.of("bench", "roofline", "--preset", "tiny", "--batch", "1", "--seq", "16", "--threads", "1");
        assertThat(roof.exit()).as(roof.toString()).isZero();
        assertThat(roof.out()).contains("[16 x 64] . [64 x 192]", "[16 x 64] . [64 x 1250]").containsPattern("roofline: .* GFLOP/s fp32");

        CliRun pt = CliRun.of("bench", "train", "--preset", "tiny", "--method", "prompt-tuning", "--steps", "1", "--warmup", "0",
                "--batch", "1", "--seq", "16", "--threads", "1", "--no-roofline");
        assertThat(pt.exit()).as(pt.toString()).isZero();
        assertThat(pt.out()).containsPattern("summary: tiny prompt-tuning batch 1 x seq 16: [0-9.]+ tokens/s");
    }

    @Test
    void benchMemoryReadsRssAtTheProbeAndAtTheEnd() {
        CliRun run = CliRun.of("bench", "memory", "--preset", "tiny", "--steps", "4", "--probe", "2", "--seq", "16", "--threads", "1");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).containsPattern("after 2 steps: RSS \\d+ KiB").containsPattern("after 4 steps: RSS \\d+ KiB")
                .containsPattern("result: memory tiny full: RSS after 2 steps \\d+ KiB, after 4 steps \\d+ KiB");
        CliRun bad = CliRun.of("bench", "memory", "--steps", "4", "--probe", "9");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--probe");
    }

    @Test
    void anUnknownPresetIsAOneLineError() {
        CliRun run = CliRun.of("bench", "train", "--preset", "gpt5");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).startsWith("error: --preset must be gpt2-small, tiny").doesNotContain("\n");
    }
}
