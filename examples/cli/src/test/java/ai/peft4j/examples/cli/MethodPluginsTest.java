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

    @Test
    void theTrainCommandTrainsThePluginMethodByNameAndSavesItInPeftFormat(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws java.io.IOException {
        java.nio.file.Path data = tmp.resolve("data.jsonl");
        java.nio.file.Files.writeString(data, "{\"prompt\": \"이 영화 정말\", \"completion\": \" 재밌어요\"}\n".repeat(8));
        java.nio.file.Path out = tmp.resolve("ia3");
        CliRun run = CliRun.of("train", "--model", ai.peft4j.testkit.Fixtures.model("tiny-llama").toString(), "--method", "ia3",
                "--data", data.toString(), "--out", out.toString(), "--steps", "2", "--batch", "4", "--no-progress");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("trainable params: 448 ||");
        assertThat(ai.peft4j.api.peft.AdapterFiles.readConfig(out).get("peft_type").getAsString()).isEqualTo("IA3");
    }
}
