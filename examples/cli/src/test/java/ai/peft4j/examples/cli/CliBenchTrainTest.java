package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
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
    void checkpointingTheFirstBlockTrainsTheSameLossesAsNoCheckpointing() {
        String[] common = {"bench", "train", "--preset", "tiny", "--method", "lora", "--steps", "2", "--warmup", "1", "--batch", "2",
            "--seq", "32", "--threads", "1", "--no-roofline", "--json"};
        CliRun plain = CliRun.of(common);
        CliRun first = CliRun.of(concat(common, "--checkpoint-blocks", "1"));
        assertThat(plain.exit()).as(plain.toString()).isZero();
        assertThat(first.exit()).as(first.toString()).isZero();
        var firstJson = JsonParser.parseString(first.out()).getAsJsonObject();
        assertThat(firstJson.get("gradient_checkpointing").getAsBoolean()).isTrue();
        assertThat(firstJson.get("checkpointed_blocks").getAsInt()).isEqualTo(1);
        var plainJson = JsonParser.parseString(plain.out()).getAsJsonObject();
        assertThat(plainJson.get("gradient_checkpointing").getAsBoolean()).isFalse();
        assertThat(plainJson.get("checkpointed_blocks").getAsInt()).isZero();
        assertThat(first.err()).contains("gradient checkpointing first 1 blocks");
        // the same random model, data and seed: the per-step losses (4 decimals) match
        assertThat(losses(first.err())).hasSize(3).isEqualTo(losses(plain.err()));

        CliRun both = CliRun.of(concat(common, "--checkpoint-blocks", "1", "--gradient-checkpointing"));
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err().strip()).contains("not both").doesNotContain("\n");
    }

    private static java.util.List<String> losses(String log) {
        return log.lines().filter(l -> l.contains(" loss ")).map(l -> l.replaceAll(".* (loss [0-9.]+) .*", "$1")).toList();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void anUnknownPresetIsAOneLineError() {
        CliRun run = CliRun.of("bench", "train", "--preset", "gpt5");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).startsWith("error: --preset must be gpt2-small, tiny").doesNotContain("\n");
    }
}
