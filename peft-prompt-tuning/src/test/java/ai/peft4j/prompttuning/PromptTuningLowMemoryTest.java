package ai.peft4j.prompttuning;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.AbstractLowMemoryConformanceTest;

/** Prompt tuning on the PyTorch engine: its gradient flows through every recomputed block into the soft prompt. */
class PromptTuningLowMemoryTest extends AbstractLowMemoryConformanceTest {
    @Override
    protected Engine engine() {
        return new PtEngine();
    }

    @Override
    protected PeftConfig freshConfig(String model) {
        return PromptTuningConfig.fromJson(com.google.gson.JsonParser.parseString(
                "{\"num_virtual_tokens\": 4, \"prompt_tuning_init\": \"RANDOM\"}").getAsJsonObject(), "test");
    }
}
