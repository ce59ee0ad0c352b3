package ai.peft4j.lora;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.engine.onnx.OnnxEngine;

/**
 * The LoRA battery on the ONNX Runtime engine: every LoRA fixture adapter reproduces its PEFT
 * goldens there too (the gradient check is skipped: the engine does not train).
 */
class LoraOnnxConformanceTest extends LoraConformanceTest {

    @Override
    protected Engine engine() {
        return new OnnxEngine();
    }
}
