package ai.peft4j.prompttuning;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.engine.onnx.OnnxEngine;

/**
 * Prompt tuning on the ONNX Runtime engine: the soft prompt is prepended ahead of a float16 or
 * int8 / int4 quantized base within the error model (the training checks are skipped).
 */
class PromptTuningOnnxLowMemoryTest extends PromptTuningLowMemoryTest {
    @Override
    protected Engine engine() {
        return new OnnxEngine();
    }
}
