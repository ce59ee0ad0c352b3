package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CliScoreTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-gpt-neox", "stories260k"})
    void meanLossIsTheGoldenLoss(String model) {
        JsonObject loss = Fixtures.golden(Fixtures.model(model)).getAsJsonObject("loss");
        int[] ids = Fixtures.ints2(loss.get("input_ids"))[0];
        CliRun run = CliRun.of("score", "--model", Fixtures.model(model).toString(), "--input-ids", CliGenerateTest.csv(ids), "--json");
        assertThat(run.exit()).as(run.toString()).isZero();
        JsonObject out = JsonParser.parseString(run.out()).getAsJsonObject();
        double expected = loss.get("loss").getAsDouble();
        assertThat(out.get("mean_loss").getAsDouble()).isCloseTo(expected, within(1e-4));
        assertThat(out.get("perplexity").getAsDouble()).isCloseTo(Math.exp(expected), within(1e-3 * Math.exp(expected)));
        assertThat(out.get("tokens").getAsInt()).isEqualTo(ids.length - 1);
        assertThat(out.get("input_tokens").getAsInt()).isEqualTo(ids.length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260k"})
    void textIsScoredThroughTheTokenizer(String model) {
        CliRun run = CliRun.of("score", "--model", Fixtures.model(model).toString(), "--text",
                "Once upon a time, there was a little girl named Lily.");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("mean loss").contains("perplexity").contains("predicted");
    }
}
