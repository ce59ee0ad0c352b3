package ai.peft4j.lora;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.AbstractLowMemoryConformanceTest;

/** LoRA on the PyTorch engine: checkpointing, half-precision and quantized bases. */
class LoraLowMemoryTest extends AbstractLowMemoryConformanceTest {
    @Override
    protected Engine engine() {
        return new PtEngine();
    }

    @Override
    protected PeftConfig freshConfig(String model) {
        // all-linear with dropout: every site hooked, and the recomputed blocks must redraw the same masks
        return LoraConfig.parse(com.google.gson.JsonParser.parseString(
                "{\"r\": 4, \"lora_alpha\": 8, \"lora_dropout\": 0.1, \"target_modules\": \"all-linear\"}").getAsJsonObject(), "test");
    }

    @Override
    protected boolean supportsMerge() {
        return true;
    }
}
