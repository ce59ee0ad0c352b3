package ai.peft4j.prompttuning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PromptTuningConfigTest {

    private static JsonObject json(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }

    private static PromptTuningConfig parse(String text) {
        return PromptTuningConfig.fromJson(json(text), "test.json");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2/pt-random", "tiny-gpt2/pt-text", "tiny-llama/pt-random", "tiny-llama/pt-text",
            "../training/tiny-gpt2/prompt-tuning/init", "../training/tiny-llama/prompt-tuning/step3"})
    void peftWrittenConfigsRoundTripToTheSameJson(String adapter) {
        Path dir = Fixtures.root().resolve("adapters").resolve(adapter).normalize();
        JsonObject peft = AdapterFiles.readConfig(dir);
        PromptTuningConfig cfg = PromptTuningConfig.fromJson(peft, dir.toString());
        assertThat(cfg.toJson()).isEqualTo(peft);
        assertThat(List.copyOf(cfg.toJson().keySet())).as("sorted keys, as PEFT writes them")
                .isEqualTo(peft.keySet().stream().sorted().toList());
        assertThat(cfg.inferenceMode()).isTrue();
        assertThat(cfg.numVirtualTokens()).isEqualTo(5);
    }

    @Test
    void defaultsArePeftDefaults() {
        PromptTuningConfig cfg = parse("{\"peft_type\": \"PROMPT_TUNING\", \"num_virtual_tokens\": 8}");
        assertThat(cfg.init()).isEqualTo(PromptTuningInit.RANDOM);
        assertThat(cfg.initText()).isNull();
        assertThat(cfg.tokenizerNameOrPath()).isNull();
        assertThat(cfg.tokenizerKwargs()).isNull();
        assertThat(cfg.tokenDim()).isNull();
        assertThat(cfg.numLayers()).isNull();
        assertThat(cfg.inferenceMode()).isFalse();
        JsonObject out = cfg.toJson();
        assertThat(out.get("task_type").getAsString()).isEqualTo("CAUSAL_LM");
        assertThat(out.get("peft_type").getAsString()).isEqualTo("PROMPT_TUNING");
        assertThat(out.get("prompt_tuning_init").getAsString()).isEqualTo("RANDOM");
        assertThat(out.get("inference_mode").getAsBoolean()).as("save_pretrained writes true").isTrue();
        assertThat(out.get("peft_version").getAsString()).isEqualTo(PromptTuningConfig.PEFT_FORMAT_VERSION);
        assertThat(out.get("token_dim")).isEqualTo(JsonNull.INSTANCE);
        assertThat(out.get("modules_to_save")).isEqualTo(JsonNull.INSTANCE);
        assertThat(PromptTuningConfig.builder().numVirtualTokens(8).build()).isEqualTo(cfg);
    }

    @Test
    void initNamesAreReadCaseInsensitivelyAndTheOldRandomDiscreteNameIsSampleVocab() {
        assertThat(parse("{\"num_virtual_tokens\": 2, \"prompt_tuning_init\": \"sample_vocab\"}").init())
                .isEqualTo(PromptTuningInit.SAMPLE_VOCAB);
        assertThat(parse("{\"num_virtual_tokens\": 2, \"prompt_tuning_init\": \"RANDOM_DISCRETE\"}").init())
                .isEqualTo(PromptTuningInit.SAMPLE_VOCAB);
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 2, \"prompt_tuning_init\": \"ZEROS\"}"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("test.json")
                .hasMessageContaining("prompt_tuning_init 'ZEROS'").hasMessageContaining("TEXT");
    }

    @Test
    void textInitWithoutTextIsAnError() {
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 5, \"prompt_tuning_init\": \"TEXT\"}"))
                .isInstanceOf(Peft4jException.class)
                .hasMessage("test.json: prompt_tuning_init is TEXT but prompt_tuning_init_text is missing; "
                        + "give the text the soft prompt starts from");
        assertThatThrownBy(() -> PromptTuningConfig.builder().numVirtualTokens(5).init(PromptTuningInit.TEXT).build())
                .isInstanceOf(Peft4jException.class).hasMessageContaining("prompt_tuning_init_text is missing");
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 5, \"prompt_tuning_init\": \"TEXT\", \"prompt_tuning_init_text\": \"\"}"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("prompt_tuning_init_text is empty");
    }

    @Test
    void virtualTokenCountMustBeAPositiveInteger() {
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 0}")).isInstanceOf(Peft4jException.class)
                .hasMessage("test.json: num_virtual_tokens must be a positive integer, got 0");
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": -3}")).isInstanceOf(Peft4jException.class)
                .hasMessage("test.json: num_virtual_tokens must be a positive integer, got -3");
        assertThatThrownBy(() -> parse("{\"peft_type\": \"PROMPT_TUNING\"}")).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("num_virtual_tokens is required");
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 2.5}")).isInstanceOf(Peft4jException.class)
                .hasMessage("test.json: num_virtual_tokens must be an integer, got 2.5");
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": \"8\"}")).isInstanceOf(Peft4jException.class)
                .hasMessage("test.json: num_virtual_tokens must be an integer, got \"8\"");
        assertThatThrownBy(() -> PromptTuningConfig.builder().numVirtualTokens(0).build())
                .isInstanceOf(Peft4jException.class).hasMessageContaining("num_virtual_tokens must be a positive integer, got 0");
    }

    @Test
    void otherInvalidValuesAreNamed() {
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 5, \"tokenizer_kwargs\": {\"use_fast\": true}}"))
                .isInstanceOf(Peft4jException.class)
                .hasMessageContaining("tokenizer_kwargs only valid when using prompt_tuning_init='TEXT'");
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 5, \"task_type\": \"SEQ_2_SEQ_LM\"}"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("task_type 'SEQ_2_SEQ_LM' is not supported");
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 5, \"num_transformer_submodules\": 2}"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("num_transformer_submodules is 2");
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 5, \"token_dim\": 0}"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("token_dim must be a positive integer, got 0");
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 5, \"modules_to_save\": [\"lm_head\"]}"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("modules_to_save");
        assertThatThrownBy(() -> parse("{\"peft_type\": \"LORA\", \"num_virtual_tokens\": 5}"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("peft_type is 'LORA'");
        assertThatThrownBy(() -> parse("{\"num_virtual_tokens\": 5, \"inference_mode\": \"yes\"}"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("inference_mode must be true or false");
    }

    @Test
    void unknownKeysAreIgnoredWithAWarning() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PromptTuningConfig cfg;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            cfg = parse("{\"peft_type\": \"PROMPT_TUNING\", \"num_virtual_tokens\": 3, \"future_option\": 1, \"another\": null}");
        } finally {
            System.setErr(err);
        }
        assertThat(cfg.numVirtualTokens()).isEqualTo(3);
        assertThat(cfg.toJson().has("future_option")).isFalse();
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("WARN").contains("test.json")
                .contains("[another, future_option]");
    }

    @Test
    void thePluginIsFoundByTypeAndName() {
        assertThat(PeftMethods.forType("PROMPT_TUNING")).isInstanceOf(PromptTuningMethod.class);
        assertThat(PeftMethods.byName("prompt-tuning")).isInstanceOf(PromptTuningMethod.class);
        assertThat(PeftMethods.byName("prompt_tuning")).isInstanceOf(PromptTuningMethod.class);
        assertThat(PeftMethods.forType("PROMPT_TUNING").parseConfig(json("{\"num_virtual_tokens\": 4}"), "cli"))
                .isInstanceOf(PromptTuningConfig.class);
    }

    @Test
    void fitToLengthTruncatesOrRepeatsTheWholeIdListAsPeftDoes() {
        assertThat(PromptTuningMethod.fitToLength(new int[] {1, 2, 3, 4, 5, 6, 7}, 5, "t")).containsExactly(1, 2, 3, 4, 5);
        assertThat(PromptTuningMethod.fitToLength(new int[] {1, 2}, 5, "t")).containsExactly(1, 2, 1, 2, 1);
        assertThat(PromptTuningMethod.fitToLength(new int[] {9}, 3, "t")).containsExactly(9, 9, 9);
        assertThat(PromptTuningMethod.fitToLength(new int[] {1, 2, 3}, 3, "t")).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> PromptTuningMethod.fitToLength(new int[0], 3, " ")).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("tokenizes to no tokens");
    }
}
