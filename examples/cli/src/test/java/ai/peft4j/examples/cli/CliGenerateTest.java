package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class CliGenerateTest {

    @ParameterizedTest
    @FieldSource("ai.peft4j.testkit.Fixtures#MODELS")
    void greedyJsonPrintsTheGoldenIds(String model) {
        JsonObject golden = Fixtures.golden(Fixtures.model(model)).getAsJsonArray("generate").get(0).getAsJsonObject();
        int[] prompt = Fixtures.ints2(golden.get("input_ids"))[0];
        int[] expected = Fixtures.ints2(golden.get("new_tokens"))[0];
        CliRun run = CliRun.of("generate", "--model", Fixtures.model(model).toString(), "--input-ids", csv(prompt),
                "--max-new-tokens", golden.get("max_new_tokens").getAsString(), "--json");
        assertThat(run.exit()).as(run.toString()).isZero();
        JsonObject out = JsonParser.parseString(run.out()).getAsJsonObject();
        assertThat(Fixtures.ints(out.getAsJsonArray("prompt_ids"))).containsExactly(prompt);
        assertThat(Fixtures.ints(out.getAsJsonArray("new_token_ids"))).containsExactly(expected);
        assertThat(out.get("text").getAsString()).isNotEmpty();
    }

    @Test
    void withoutTheCacheTheIdsAreTheSame() {
        JsonObject golden = Fixtures.golden(Fixtures.model("tiny-gpt2")).getAsJsonArray("generate").get(0).getAsJsonObject();
        int[] prompt = Fixtures.ints2(golden.get("input_ids"))[0];
        CliRun run = CliRun.of("generate", "--model", Fixtures.model("tiny-gpt2").toString(), "--input-ids", csv(prompt),
                "--max-new-tokens", "16", "--no-cache", "--json");
        assertThat(run.exit()).as(run.toString()).isZero();
        JsonObject out = JsonParser.parseString(run.out()).getAsJsonObject();
        assertThat(Fixtures.ints(out.getAsJsonArray("new_token_ids"))).containsExactly(Fixtures.ints2(golden.get("new_tokens"))[0]);
    }

    @Test
    void stories260kContinuesItsGoldenPromptAsText() {
        CliRun run = CliRun.of("generate", "--model", Fixtures.model("stories260k").toString(), "--prompt", "Once upon a time",
                "--max-new-tokens", "32");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("Once upon a time, there was a little girl named Lily. She loved to play outside in the park."
                + " One day, she saw" + System.lineSeparator());
        assertThat(run.err()).isEmpty();
    }

    @Test
    void promptTextIsEncodedWithTheTokenizer() {
        CliRun run = CliRun.of("generate", "--model", Fixtures.model("stories260k").toString(), "--prompt", "Once upon a time",
                "--max-new-tokens", "4", "--json");
        assertThat(run.exit()).as(run.toString()).isZero();
        JsonObject out = JsonParser.parseString(run.out()).getAsJsonObject();
        assertThat(Fixtures.ints(out.getAsJsonArray("prompt_ids"))).containsExactly(1, 403, 407, 261, 378); // <s> added
        assertThat(out.get("text").getAsString()).isEqualTo("Once upon a time, there was a");
        assertThat(out.get("new_text").getAsString()).isEqualTo(", there was a");
        assertThat(out.get("finish_reason").getAsString()).isEqualTo("length");
    }

    @Test
    void eosComesFromGenerationConfigThenConfigAndMinNewTokensOverridesIt(@TempDir Path tmp) throws IOException {
        JsonObject golden = Fixtures.golden(Fixtures.model("tiny-gpt2")).getAsJsonArray("generate").get(0).getAsJsonObject();
        int[] prompt = Fixtures.ints2(golden.get("input_ids"))[0];
        int[] expected = Fixtures.ints2(golden.get("new_tokens"))[0];
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(Fixtures.model("tiny-gpt2").resolve(f), tmp.resolve(f));
        }
        // An EOS id that greedy decoding first produces as token k + 1.
        int k = 1;
        while (firstIndex(expected, expected[k]) != k) {
            k++;
        }
        int eos = expected[k];
        Files.writeString(tmp.resolve("generation_config.json"), "{\"eos_token_id\": [7, " + eos + "]}");
        String[] args = {"generate", "--model", tmp.toString(), "--input-ids", csv(prompt), "--max-new-tokens", "16", "--json"};
        JsonObject out = JsonParser.parseString(CliRun.of(args).out()).getAsJsonObject();
        assertThat(Fixtures.ints(out.getAsJsonArray("new_token_ids"))).containsExactly(Arrays.copyOf(expected, k + 1));
        assertThat(out.get("finish_reason").getAsString()).isEqualTo("eos");

        // Without generation_config.json, config.json's eos (1249, never produced here) applies.
        Files.delete(tmp.resolve("generation_config.json"));
        out = JsonParser.parseString(CliRun.of(args).out()).getAsJsonObject();
        assertThat(Fixtures.ints(out.getAsJsonArray("new_token_ids"))).containsExactly(expected);

        // Stored defaults are defaults: flags win.
        Files.writeString(tmp.resolve("generation_config.json"), "{\"eos_token_id\": " + eos + ", \"max_new_tokens\": " + (k + 3) + "}");
        out = JsonParser.parseString(CliRun.of("generate", "--model", tmp.toString(), "--input-ids", csv(prompt), "--json")
                .out()).getAsJsonObject();
        assertThat(out.getAsJsonArray("new_token_ids").size()).isEqualTo(k + 1);
        out = JsonParser.parseString(CliRun.of("generate", "--model", tmp.toString(), "--input-ids", csv(prompt),
                "--min-new-tokens", String.valueOf(k + 2), "--json").out()).getAsJsonObject();
        assertThat(out.getAsJsonArray("new_token_ids").size()).isEqualTo(k + 3); // max_new_tokens from the file
    }

    @Test
    void samplingIsReproducibleWithASeedAndBeamSearchRuns() {
        String model = Fixtures.model("tiny-llama").toString();
        String[] sample = {"generate", "--model", model, "--input-ids", "5,6,7", "--max-new-tokens", "8", "--do-sample",
            "--temperature", "0.8", "--top-k", "20", "--top-p", "0.9", "--seed", "7", "--json"};
        CliRun a = CliRun.of(sample);
        CliRun b = CliRun.of(sample);
        assertThat(a.exit()).as(a.toString()).isZero();
        assertThat(a.out()).isEqualTo(b.out());
        CliRun beams = CliRun.of("generate", "--model", model, "--input-ids", "5,6,7", "--max-new-tokens", "6", "--num-beams", "3",
                "--length-penalty", "1.2", "--early-stopping", "--no-repeat-ngram-size", "2", "--repetition-penalty", "1.3",
                "--min-new-tokens", "2", "--json");
        assertThat(beams.exit()).as(beams.toString()).isZero();
        assertThat(JsonParser.parseString(beams.out()).getAsJsonObject().getAsJsonArray("new_token_ids").size()).isBetween(2, 6);
    }

    @Test
    void engineFlagsAreAccepted() {
        CliRun run = CliRun.of("generate", "--model", Fixtures.model("tiny-gpt2").toString(), "--input-ids", "1,2,3",
                "--max-new-tokens", "2", "--engine", "pytorch", "--device", "cpu", "--threads", "1");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isNotBlank();
    }

    private static int firstIndex(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    static String csv(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
