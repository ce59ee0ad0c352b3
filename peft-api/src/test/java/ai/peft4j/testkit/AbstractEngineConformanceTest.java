package ai.peft4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.GenerationResult;
import ai.peft4j.api.generate.Generator;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.tokenizer.TextTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The battery every {@link Engine} passes: on every fixture model, logits and loss match the
 * Hugging Face goldens within 1e-4 and greedy generation matches the golden ids exactly, with
 * and without the KV cache, left-padded batch included. Extend it and return your engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractEngineConformanceTest {
    protected static final double LOGIT_TOL = 1e-4;

    private final Map<String, Checkpoint> checkpoints = new HashMap<>();
    private final Map<String, DecoderRuntime> runtimes = new HashMap<>();

    /** The engine under test. */
    protected abstract Engine engine();

    protected synchronized DecoderRuntime runtime(String model) {
        return runtimes.computeIfAbsent(model, m -> {
            Checkpoint c = checkpoints.computeIfAbsent(m, n -> Checkpoint.open(Fixtures.model(n)));
            return engine().load(c, new EngineOptions("cpu", 0));
        });
    }

    @AfterAll
    void closeAll() {
        runtimes.values().forEach(DecoderRuntime::close);
        checkpoints.values().forEach(Checkpoint::close);
    }

    static Stream<String> models() {
        return Fixtures.MODELS.stream();
    }

    @ParameterizedTest
    @MethodSource("models")
    void logitsMatchGoldens(String model) {
        JsonObject golden = Fixtures.golden(Fixtures.model(model));
        for (JsonElement e : golden.getAsJsonArray("forward")) {
            JsonObject c = e.getAsJsonObject();
            int[][] ids = Fixtures.ints2(c.get("input_ids"));
            int[][] mask = Fixtures.ints2(c.get("attention_mask"));
            Logits logits = runtime(model).forward(ForwardRequest.start(ids, mask, HookSet.EMPTY, null, false), null);
            LogitsAssert.assertClose(logits, Fixtures.floats(c.get("logits")), mask, 0, LOGIT_TOL,
                    model + "/" + c.get("name").getAsString());
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void lossMatchesGolden(String model) {
        JsonObject loss = Fixtures.golden(Fixtures.model(model)).getAsJsonObject("loss");
        int[][] ids = Fixtures.ints2(loss.get("input_ids"));
        int[][] labels = Fixtures.ints2(loss.get("labels"));
        LossResult r = runtime(model).lossAndGradients(new TrainBatch(ids, null, labels), HookSet.EMPTY, false);
        assertThat(r.meanLoss()).as(model + " loss").isCloseTo(loss.get("loss").getAsDouble(), org.assertj.core.data.Offset.offset(1e-4));
    }

    @ParameterizedTest
    @MethodSource("models")
    void greedyMatchesGoldenWithAndWithoutCache(String model) {
        JsonObject golden = Fixtures.golden(Fixtures.model(model));
        for (JsonElement e : golden.getAsJsonArray("generate")) {
            JsonObject c = e.getAsJsonObject();
            int[][] ids = Fixtures.ints2(c.get("input_ids"));
            int[][] mask = Fixtures.ints2(c.get("attention_mask"));
            int[][] expected = Fixtures.ints2(c.get("sequences"));
            for (boolean useCache : new boolean[] {true, false}) {
                GenerationConfig cfg = GenerationConfig.builder()
                        .maxNewTokens(c.get("max_new_tokens").getAsInt())
                        .eosTokenId(c.get("eos_token_id").getAsInt())
                        .useCache(useCache)
                        .build();
                GenerationResult r = new Generator(runtime(model), HookSet.EMPTY).generate(ids, mask, cfg);
                assertThat(r.sequences()).as(model + "/" + c.get("name").getAsString() + " cache=" + useCache).isEqualTo(expected);
            }
        }
    }

    @Test
    void stories260kContinuesItsGoldenPrompt() {
        JsonObject golden = Fixtures.golden(Fixtures.model("stories260k"));
        JsonObject gen = golden.getAsJsonArray("generate").get(0).getAsJsonObject();
        try (TextTokenizer tok = TextTokenizer.load(Fixtures.model("stories260k"))) {
            String prompt = gen.has("prompt") ? gen.get("prompt").getAsString() : "Once upon a time";
            int[] ids = tok.encode(prompt);
            assertThat(ids).isEqualTo(Fixtures.ints2(gen.get("input_ids"))[0]);
            GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(gen.get("max_new_tokens").getAsInt())
                    .eosTokenId(gen.get("eos_token_id").getAsInt()).build();
            GenerationResult r = new Generator(runtime("stories260k"), HookSet.EMPTY).generate(new int[][] {ids}, null, cfg);
            assertThat(r.sequences()[0]).isEqualTo(Fixtures.ints2(gen.get("sequences"))[0]);
            String text = tok.decode(r.sequences()[0], true);
            assertThat(text).startsWith("Once upon a time, there was a little girl named Lily.");
        }
    }

    @Test
    void sequenceLongerThanContextIsAClearError() {
        int[][] ids = new int[1][129];
        assertThatThrownBy(() -> runtime("tiny-gpt2").forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, false), null))
                .isInstanceOf(Peft4jException.class)
                .hasMessageContaining("exceeds the model's context of 128");
    }
}
