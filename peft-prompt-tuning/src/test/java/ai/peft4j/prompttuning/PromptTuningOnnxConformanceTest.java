package ai.peft4j.prompttuning;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.engine.onnx.OnnxEngine;

/**
 * The prompt-tuning battery on the ONNX Runtime engine: the soft prompt enters the traced graph
 * through the embeddings path and every fixture reproduces its goldens.
 */
class PromptTuningOnnxConformanceTest extends PromptTuningConformanceTest {

    @Override
    protected Engine engine() {
        return new OnnxEngine();
    }
}
