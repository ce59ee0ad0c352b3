package ai.peft4j.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.model.DecoderConfig;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** The typed reads hand-written readers share, and {@link DecoderConfig}'s errors through them. */
class ConfigJsonTest {

    @Test
    void readsTypedValuesWithDefaultsAndNamesNestedKeys() {
        ConfigJson j = new ConfigJson(JsonParser.parseString(
                "{\"n\": 4.0, \"x\": null, \"s\": \"a\", \"b\": true, \"rope\": {\"theta\": \"big\"}}").getAsJsonObject(), "c.json");
        assertThat(j.integer("n", 0)).isEqualTo(4);
        assertThat(j.integer("x", 7)).as("null is absent").isEqualTo(7);
        assertThat(j.has("x")).isFalse();
        assertThat(j.string("s", null)).isEqualTo("a");
        assertThat(j.bool("b", false)).isTrue();
        assertThat(j.object("missing")).isNull();
        assertThatThrownBy(() -> j.object("rope").number("theta", 1)).isInstanceOf(Peft4jException.class)
                .hasMessage("c.json: rope.theta must be a number, got \"big\"");
        assertThatThrownBy(() -> j.bool("n", false)).isInstanceOf(Peft4jException.class)
                .hasMessage("c.json: n must be true or false, got 4.0");
    }

    @Test
    void aDecoderConfigValueOfTheWrongTypeIsNamedWithTheFile() {
        String good = "{\"model_type\": \"llama\", \"vocab_size\": 32, \"hidden_size\": 16, \"num_hidden_layers\": 2,"
                + " \"num_attention_heads\": 2, \"eos_token_id\": [2, 3]}";
        DecoderConfig cfg = DecoderConfig.parse(good, "config.json");
        assertThat(cfg.eosTokenId()).isEqualTo(2);
        assertThat(cfg.headDim()).isEqualTo(8);
        assertThatThrownBy(() -> DecoderConfig.parse(good.replace("\"hidden_size\": 16", "\"hidden_size\": \"16\""), "m/config.json"))
                .isInstanceOf(Peft4jException.class).hasMessage("m/config.json: hidden_size must be an integer, got \"16\"");
        assertThatThrownBy(() -> DecoderConfig.parse(good.replace("}", ", \"rope_parameters\": {\"rope_theta\": true}}"), "m/config.json"))
                .isInstanceOf(Peft4jException.class).hasMessage("m/config.json: rope_parameters.rope_theta must be a number, got true");
        assertThatThrownBy(() -> DecoderConfig.parse(good.replace("}", ", \"tie_word_embeddings\": 1}"), "m/config.json"))
                .isInstanceOf(Peft4jException.class).hasMessage("m/config.json: tie_word_embeddings must be true or false, got 1");
    }
}
