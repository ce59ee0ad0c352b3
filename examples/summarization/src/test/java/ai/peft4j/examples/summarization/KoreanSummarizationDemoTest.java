package ai.peft4j.examples.summarization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The demo's prompt-tuning config and its method choice. */
class KoreanSummarizationDemoTest {
    @Test
    void promptTuningConfigIsPeftJsonEvenWhenTheInitTextHasQuotes() {
        String text = "요약: \"한 줄\", 끝\\";
        JsonObject c = JsonParser.parseString(KoreanSummarizationDemo.promptTuningConfig(30, text)).getAsJsonObject();
        assertThat(c.get("num_virtual_tokens").getAsInt()).isEqualTo(30);
        assertThat(c.get("prompt_tuning_init").getAsString()).isEqualTo("TEXT");
        assertThat(c.get("prompt_tuning_init_text").getAsString()).isEqualTo(text);
    }

    @Test
    void theDefaultConfigPrintsInPeftKeyOrder() {
        assertThat(KoreanSummarizationDemo.promptTuningConfig(20, KoreanSummarizationDemo.PROMPT_TUNING_INIT_TEXT)).isEqualTo(
                "{\"num_virtual_tokens\": 20, \"prompt_tuning_init\": \"TEXT\", \"prompt_tuning_init_text\": \"다음 문서를 한 줄로 요약하세요:\"}");
    }

    @Test
    void unknownMethodsAreRefused() {
        KoreanSummarizationDemo demo = new KoreanSummarizationDemo(Path.of("m"), Path.of("o"), null, null);
        assertThatThrownBy(() -> demo.setMethods(Set.of("lora", "dora"))).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("'dora'");
    }
}
