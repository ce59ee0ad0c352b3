package ai.peft4j.prompttuning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloaded prompt-learning adapters with forged sizes or paths: refused with one clear
 * {@link Peft4jException} (or, for the path, never read), leaving the model as it was.
 */
class PromptTuningHostileAdapterTest {
    @TempDir
    Path tmp;

    private Path adapter(String name, Consumer<JsonObject> edit) throws IOException {
        Path src = Fixtures.adapter("tiny-gpt2", "pt-random");
        Path dir = Files.createDirectories(tmp.resolve(name));
        JsonObject cfg = JsonParser.parseString(Files.readString(src.resolve(AdapterFiles.CONFIG), StandardCharsets.UTF_8))
                .getAsJsonObject();
        edit.accept(cfg);
        Files.writeString(dir.resolve(AdapterFiles.CONFIG), cfg.toString());
        Files.copy(src.resolve(AdapterFiles.WEIGHTS), dir.resolve(AdapterFiles.WEIGHTS));
        return dir;
    }

    @Test
    void aSoftPromptLongerThanTheContextIsRefusedBeforeAnythingIsAllocated() throws IOException {
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-gpt2"), new PtEngine(), new EngineOptions("cpu", 0))) {
            for (int n : new int[] {128, 20_000_000, 2_000_000_000}) {
                for (String type : new String[] {"PROMPT_TUNING", "P_TUNING"}) {
                    Path dir = adapter(type + n, c -> {
                        c.addProperty("peft_type", type);
                        c.addProperty("num_virtual_tokens", n);
                    });
                    Throwable t = catchThrowable(() -> model.loadAdapter(dir, "pt"));
                    assertThat(t).isInstanceOf(Peft4jException.class).hasMessage("num_virtual_tokens is " + n
                            + " but the base model's context holds 128 positions, and the soft prompt takes " + n
                            + " of them; use fewer virtual tokens");
                    assertThat(model.adapterNames()).isEmpty();
                    assertThat(model.runtime().parameters().adapterKeys()).isEmpty();
                }
            }
        }
    }

    /**
     * Loading never runs a method's init (the saved weights replace it), so a TEXT init naming a
     * tokenizer elsewhere on disk reads nothing: the load is the same as with the plain config.
     */
    @Test
    void loadingATextInitConfigReadsNoTokenizerItNames() throws IOException {
        Path dir = adapter("text-init", c -> {
            c.addProperty("inference_mode", false);
            c.addProperty("prompt_tuning_init", "TEXT");
            c.addProperty("prompt_tuning_init_text", "hello");
            c.addProperty("tokenizer_name_or_path", tmp.resolve("not-a-tokenizer").toString());
        });
        Files.writeString(tmp.resolve("not-a-tokenizer"), "this is not tokenizer.json");
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-gpt2"), new PtEngine(), new EngineOptions("cpu", 0))) {
            model.loadAdapter(dir, "pt");
            assertThat(((PromptTuningConfig) model.adapter("pt").config()).inferenceMode()).isTrue();
        }
    }
}
