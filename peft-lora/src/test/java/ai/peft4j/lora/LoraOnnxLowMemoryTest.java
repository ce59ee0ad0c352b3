package ai.peft4j.lora;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.engine.onnx.OnnxEngine;

/**
 * LoRA on the ONNX Runtime engine: a float16 base (weights fed as float16, widened per use) and
 * int8 / int4 bases on ONNX Runtime's {@code MatMulNBits} stay within the error model, an adapter
 * made on a quantized base saves as ordinary PEFT files, and merging into it is refused (the
 * training checks are skipped: the engine does not train).
 */
class LoraOnnxLowMemoryTest extends LoraLowMemoryTest {
    @Override
    protected Engine engine() {
        return new OnnxEngine();
    }
}
