package ai.peft4j.api.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.testkit.Fixtures;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fixtures' {@code configs-transformers5/}: the same models' configs as transformers 5.18 writes
 * them ({@code rope_parameters} instead of {@code rope_theta}, {@code rotary_pct} and
 * {@code rotary_emb_base}; {@code pad_token_id: null}). Each must give the same decoder as the
 * transformers 4.57 config: every size and switch, and the same weight shapes and linear sites.
 * {@code AbstractEngineConformanceTest} runs them against the logit goldens.
 */
class Transformers5ConfigTest {

    static Stream<String> models() {
        return Fixtures.MODELS.stream();
    }

    @ParameterizedTest
    @MethodSource("models")
    void transformers5ConfigGivesTheSameDecoder(String model) {
        DecoderConfig v4 = DecoderConfig.load(Fixtures.model(model).resolve("config.json"));
        Path file = Fixtures.root().resolve("configs-transformers5").resolve(model).resolve("config.json");
        DecoderConfig v5 = DecoderConfig.load(file);
        assertThat(v5.json().get("transformers_version").getAsString()).startsWith("5.");
        assertThat(fields(v5)).as(model + " (transformers 5 config)").isEqualTo(fields(v4));
        Architecture arch = Architectures.forConfig(v4);
        assertThat(Architectures.forConfig(v5).getClass()).isEqualTo(arch.getClass());
        assertThat(arch.linearSites(v5)).isEqualTo(arch.linearSites(v4));
        Map<String, String> s4 = new LinkedHashMap<>();
        arch.weightShapes(v4).forEach((k, v) -> s4.put(k, java.util.Arrays.toString(v)));
        Map<String, String> s5 = new LinkedHashMap<>();
        arch.weightShapes(v5).forEach((k, v) -> s5.put(k, java.util.Arrays.toString(v)));
        assertThat(s5).isEqualTo(s4);
    }

    /** Every parsed field that shapes the model (not the raw JSON). */
    private static Map<String, Object> fields(DecoderConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", c.modelType());
        m.put("vocab", c.vocabSize());
        m.put("hidden", c.hiddenSize());
        m.put("layers", c.numLayers());
        m.put("heads", c.numHeads());
        m.put("kv_heads", c.numKvHeads());
        m.put("head_dim", c.headDim());
        m.put("intermediate", c.intermediateSize());
        m.put("positions", c.maxPositions());
        m.put("norm_eps", c.normEps());
        m.put("activation", c.activation());
        m.put("rope_theta", c.ropeTheta());
        m.put("rotary_dim", c.rotaryDim());
        m.put("rope_scaling", String.valueOf(c.ropeScaling()));
        m.put("tie_word_embeddings", c.tieWordEmbeddings());
        m.put("parallel_residual", c.parallelResidual());
        m.put("attention_bias", c.attentionBias());
        m.put("sliding_window", c.slidingWindow());
        m.put("dtype", c.dtype());
        m.put("bos", c.bosTokenId());
        m.put("eos", c.eosTokenId());
        m.put("pad", c.padTokenId());
        return m;
    }
}
