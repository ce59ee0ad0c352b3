package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliAdapterTest {
    @TempDir
    Path tmp;

    private static String csv(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    private static int[] newIds(CliRun run) {
        assertThat(run.exit()).as(run.toString()).isZero();
        JsonObject o = JsonParser.parseString(run.out()).getAsJsonObject();
        return Fixtures.ints(o.getAsJsonArray("new_token_ids"));
    }

    @Test
    void generateWithAPeftLoraAdapterPrintsItsGoldenIdsAndMergeSavesAnEquivalentModel() {
        JsonObject golden = Fixtures.golden(Fixtures.adapter("tiny-llama", "lora-default"));
        JsonObject gen = golden.getAsJsonArray("generate").get(0).getAsJsonObject();
        int[] prompt = Fixtures.ints2(gen.get("input_ids"))[0];
        int[] expected = Fixtures.ints2(gen.get("new_tokens"))[0];
        String model = Fixtures.model("tiny-llama").toString();
        String adapter = Fixtures.adapter("tiny-llama", "lora-default").toString();

        int[] adapted = newIds(CliRun.of("generate", "--model", model, "--adapter", adapter, "--adapter-name", "sum",
                "--input-ids", csv(prompt), "--max-new-tokens", "16", "--json"));
        assertThat(adapted).isEqualTo(expected);

        Path merged = tmp.resolve("merged");
        CliRun merge = CliRun.of("merge", "--model", model, "--adapter", adapter, "--out", merged.toString());
        assertThat(merge.exit()).as(merge.toString()).isZero();
        assertThat(newIds(CliRun.of("generate", "--model", merged.toString(), "--input-ids", csv(prompt), "--max-new-tokens", "16",
                "--json"))).isEqualTo(expected);
    }

    @Test
    void promptTuningAdapterScoresAsItsGoldenLoss() {
        JsonObject loss = Fixtures.golden(Fixtures.adapter("tiny-gpt2", "pt-text")).getAsJsonObject("loss");
        CliRun run = CliRun.of("score", "--model", Fixtures.model("tiny-gpt2").toString(), "--adapter",
                Fixtures.adapter("tiny-gpt2", "pt-text").toString(), "--input-ids", csv(Fixtures.ints2(loss.get("input_ids"))[0]), "--json");
        assertThat(run.exit()).as(run.toString()).isZero();
        double mean = JsonParser.parseString(run.out()).getAsJsonObject().get("mean_loss").getAsDouble();
        assertThat(mean).isCloseTo(loss.get("loss").getAsDouble(), org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void anAdapterForAnotherBaseIsAOneLineErrorWithExitCode2() {
        CliRun run = CliRun.of("generate", "--model", Fixtures.model("tiny-gpt2").toString(), "--adapter",
                Fixtures.adapter("tiny-llama", "lora-default").toString(), "--input-ids", "1,2,3");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).startsWith("error:").doesNotContain("\n");
    }
}
