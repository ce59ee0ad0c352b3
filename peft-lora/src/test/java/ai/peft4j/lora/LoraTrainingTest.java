package ai.peft4j.lora;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.AbstractTrainerTest;
import ai.peft4j.testkit.AbstractTrainingTraceTest;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Nested;

/** The shared trainer with the real LoRA plugin: PEFT's SGD traces, and the trainer battery with dropout. */
class LoraTrainingTest {
    @Nested
    class Traces extends AbstractTrainingTraceTest {
        @Override
        protected Engine engine() {
            return new PtEngine();
        }

        @Override
        protected List<Trace> traces() {
            return List.of(new Trace("tiny-gpt2", "lora"), new Trace("tiny-llama", "lora"));
        }
    }

    @Nested
    class Trainer extends AbstractTrainerTest {
        @Override
        protected Engine engine() {
            return new PtEngine();
        }

        /** A LoRA with dropout: resuming must reseed dropout exactly. */
        @Override
        protected List<PeftConfig> extraResumeConfigs(Path model) {
            return List.of(PeftMethods.byName("lora").parseConfig(JsonParser.parseString(
                    "{\"r\": 4, \"lora_alpha\": 8, \"lora_dropout\": 0.2, \"target_modules\": [\"c_attn\", \"c_fc\"]}").getAsJsonObject(), "test"));
        }
    }
}
