package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.method.PeftMethods;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * The CLI's classpath holds the method plugins, found by name alone: the (IA)³ example plugin
 * arrives by being a dependency of this module, with no code here naming it.
 */
class MethodPluginsTest {

    @Test
    void everyPluginOnTheClasspathIsFoundByNameAndType() {
        assertThat(PeftMethods.installed()).extracting(PeftMethod::peftType).contains("IA3", "LORA", "PROMPT_TUNING");
        PeftMethod ia3 = PeftMethods.byName("ia3");
        assertThat(ia3.peftType()).isEqualTo("IA3");
        assertThat(ia3.parseConfig(new JsonObject(), "cli").toJson().get("peft_type").getAsString()).isEqualTo("IA3");
    }
}
