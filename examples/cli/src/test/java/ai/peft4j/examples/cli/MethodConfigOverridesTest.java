package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --set KEY=VALUE}: JSON values, bare words as strings, and typo'd JSON refused (not turned into a regex). */
class MethodConfigOverridesTest {

    private static JsonObject apply(String... sets) {
        return MethodConfigOverrides.apply(new JsonObject(), List.of(sets));
    }

    @Test
    void jsonValuesAreReadAsJson() {
        JsonObject cfg = apply("r=8", "lora_dropout=0.1", "use_rslora=true", "target_modules=[\"q_proj\",\"v_proj\"]",
                "rank_pattern={\"down_proj\": 2}", "prompt_tuning_init_text=\"다음 문서를 요약하세요, 한 줄로:\"");
        assertThat(cfg).isEqualTo(JsonParser.parseString("{\"r\": 8, \"lora_dropout\": 0.1, \"use_rslora\": true, "
                + "\"target_modules\": [\"q_proj\", \"v_proj\"], \"rank_pattern\": {\"down_proj\": 2}, "
                + "\"prompt_tuning_init_text\": \"다음 문서를 요약하세요, 한 줄로:\"}"));
        assertThat(cfg.get("r").getAsJsonPrimitive().isNumber()).isTrue();
    }

    @Test
    void bareWordsAreStrings() {
        JsonObject cfg = apply("target_modules=all-linear", "prompt_tuning_init=TEXT", "layers_pattern=h",
                "exclude_modules=.*\\.(k_proj|o_proj)");
        assertThat(cfg.get("target_modules").getAsString()).isEqualTo("all-linear");
        assertThat(cfg.get("prompt_tuning_init").getAsString()).isEqualTo("TEXT");
        assertThat(cfg.get("layers_pattern").getAsString()).isEqualTo("h");
        assertThat(cfg.get("exclude_modules").getAsString()).isEqualTo(".*\\.(k_proj|o_proj)");
    }

    @Test
    void aTypoedListOrObjectIsRefusedNotTurnedIntoARegex() {
        for (String bad : new String[] {"target_modules=[q_proj, v_proj", "target_modules=[\"q_proj\",]", "target_modules=[q_proj,v_proj]",
            "target_modules=q_proj,v_proj", "rank_pattern={down_proj: 2", "prompt_tuning_init_text=\"unterminated"}) {
            assertThatThrownBy(() -> apply(bad)).as(bad).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("--set " + bad + ": the value is not valid JSON")
                    .hasMessageContaining("[\"q_proj\",\"v_proj\"]");
        }
        assertThatThrownBy(() -> apply("r")).isInstanceOf(Peft4jException.class).hasMessageContaining("KEY=VALUE");
    }
}
