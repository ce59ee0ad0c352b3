package ai.peft4j.prompttuning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * P-tuning adapters as PEFT saves them: {@code prompt_embeddings} holds the encoder's output and
 * runs exactly like a prompt-tuning prompt. The adapters here pair a PEFT-style P_TUNING config
 * with a prompt-tuning fixture's tensor, so that fixture's goldens apply.
 */
class PTuningTest {
    @TempDir
    Path tmp;

    /** adapter_config.json as PEFT 0.21 writes a PromptEncoderConfig for these models. */
    private static JsonObject peftConfig(String base) {
        return JsonParser.parseString("""
                {
                  "auto_mapping": null,
                  "base_model_name_or_path": "%s",
                  "encoder_dropout": 0.0,
                  "encoder_hidden_size": 64,
                  "encoder_num_layers": 2,
                  "encoder_reparameterization_type": "MLP",
                  "inference_mode": true,
                  "modules_to_save": null,
                  "num_attention_heads": 4,
                  "num_layers": 2,
                  "num_transformer_submodules": 1,
                  "num_virtual_tokens": 5,
                  "peft_type": "P_TUNING",
                  "peft_version": "0.21.0",
                  "revision": null,
                  "task_type": "CAUSAL_LM",
                  "token_dim": 64
                }""".formatted(base)).getAsJsonObject();
    }

    private Path ptuningDir(String base, String promptFixture) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(base + "-" + promptFixture));
        Files.writeString(dir.resolve(AdapterFiles.CONFIG), AdapterFiles.toJson(peftConfig(base)));
        Files.copy(Fixtures.adapter(base, promptFixture).resolve(AdapterFiles.WEIGHTS), dir.resolve(AdapterFiles.WEIGHTS));
        return dir;
    }

    private static PeftModel open(String model) {
        return PeftModel.open(Fixtures.model(model), new PtEngine(), new EngineOptions("cpu", 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2/pt-text", "tiny-llama/pt-random"})
    void aSavedPTuningAdapterReproducesTheSoftPromptGoldensAndSavesBackUnchanged(String fixture) throws IOException {
        String base = fixture.split("/")[0];
        Path dir = ptuningDir(base, fixture.split("/")[1]);
        JsonObject golden = Fixtures.golden(Fixtures.adapter(base, fixture.split("/")[1]));
        Path out = tmp.resolve("saved");
        try (PeftModel model = open(base)) {
            assertThat(model.loadAdapter(dir, "pt")).isInstanceOf(PTuningAdapter.class);
            int prefix = model.hooks().prefixLength();
            assertThat(prefix).isEqualTo(5);
            for (JsonElement e : golden.getAsJsonArray("forward")) {
                JsonObject c = e.getAsJsonObject();
                int[][] mask = Fixtures.ints2(c.get("attention_mask"));
                LogitsAssert.assertClose(model.forward(Fixtures.ints2(c.get("input_ids")), mask), Fixtures.floats(c.get("logits")),
                        mask, prefix, 1e-4, fixture + "/" + c.get("name").getAsString());
            }
            for (JsonElement e : golden.getAsJsonArray("generate")) {
                JsonObject c = e.getAsJsonObject();
                GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(16).eosTokenId(c.get("eos_token_id").getAsInt()).build();
                assertThat(model.generate(Fixtures.ints2(c.get("input_ids")), Fixtures.ints2(c.get("attention_mask")), cfg)
                        .sequences()).isEqualTo(Fixtures.ints2(c.get("sequences")));
            }
            model.saveAdapter("pt", out);
        }
        assertThat(AdapterFiles.readConfig(out)).isEqualTo(peftConfig(base));
        try (SafetensorsFile a = SafetensorsFile.open(dir.resolve(AdapterFiles.WEIGHTS));
                SafetensorsFile b = SafetensorsFile.open(out.resolve(AdapterFiles.WEIGHTS))) {
            assertThat(b.tensors().keySet()).containsExactly("prompt_embeddings");
            assertThat(b.readHost("prompt_embeddings")).isEqualTo(a.readHost("prompt_embeddings"));
        }
    }

    @Test
    void defaultsAreFilledFromTheBaseAsPeftDoes() {
        JsonObject minimal = JsonParser.parseString("{\"peft_type\": \"P_TUNING\", \"num_virtual_tokens\": 3, "
                + "\"inference_mode\": true}").getAsJsonObject();
        PTuningConfig cfg = PTuningConfig.fromJson(minimal, "t.json");
        assertThat(cfg.encoderType()).isEqualTo(PTuningConfig.EncoderType.MLP);
        assertThat(cfg.encoderHiddenSize()).isNull();
        assertThat(cfg.encoderNumLayers()).isEqualTo(2);
        assertThat(cfg.encoderDropout()).isEqualTo(0.0);
        try (PeftModel model = open("tiny-gpt2")) {
            PTuningAdapter a = (PTuningAdapter) model.addAdapter("p", cfg);
            JsonObject filled = a.config().toJson();
            assertThat(filled.get("encoder_hidden_size").getAsInt()).isEqualTo(64);
            assertThat(filled.get("token_dim").getAsInt()).isEqualTo(64);
            assertThat(filled.get("base_model_name_or_path").getAsString()).isEqualTo("tiny-gpt2");
            assertThat(filled.keySet()).isEqualTo(peftConfig("tiny-gpt2").keySet());
        }
    }

    @Test
    void creatingANewPromptEncoderIsRefusedClearly() {
        JsonObject training = peftConfig("tiny-gpt2");
        training.addProperty("inference_mode", false);
        PTuningConfig cfg = PTuningConfig.fromJson(training, "t.json");
        try (PeftModel model = open("tiny-gpt2")) {
            assertThatThrownBy(() -> model.addAdapter("p", cfg)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("training a new P-tuning adapter").hasMessageContaining("PROMPT_TUNING");
            assertThat(model.adapterNames()).isEmpty();
            assertThat(model.runtime().parameters().adapterKeys()).isEmpty();
        }
    }

    @Test
    void invalidValuesAreNamed() {
        JsonObject bad = peftConfig("tiny-gpt2");
        bad.addProperty("encoder_reparameterization_type", "GRU");
        assertThatThrownBy(() -> PTuningConfig.fromJson(bad, "t.json")).isInstanceOf(Peft4jException.class)
                .hasMessage("t.json: encoder_reparameterization_type 'GRU' is not MLP or LSTM");
        JsonObject dropout = peftConfig("tiny-gpt2");
        dropout.addProperty("encoder_dropout", 1.5);
        assertThatThrownBy(() -> PTuningConfig.fromJson(dropout, "t.json")).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("encoder_dropout must be in [0, 1), got 1.5");
        JsonObject none = peftConfig("tiny-gpt2");
        none.addProperty("num_virtual_tokens", 0);
        assertThatThrownBy(() -> PTuningConfig.fromJson(none, "t.json")).isInstanceOf(Peft4jException.class)
                .hasMessage("t.json: num_virtual_tokens must be a positive integer, got 0");
        assertThatThrownBy(() -> PTuningConfig.fromJson(
                JsonParser.parseString("{\"peft_type\": \"PROMPT_TUNING\", \"num_virtual_tokens\": 2}").getAsJsonObject(), "t.json"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("not P_TUNING");
    }

    @Test
    void thePluginIsFoundByTypeAndName() {
        assertThat(PeftMethods.forType("P_TUNING")).isInstanceOf(PTuningMethod.class);
        assertThat(PeftMethods.byName("p-tuning")).isInstanceOf(PTuningMethod.class);
        assertThat(PeftMethods.byName("P_TUNING")).isInstanceOf(PTuningMethod.class);
    }
}
