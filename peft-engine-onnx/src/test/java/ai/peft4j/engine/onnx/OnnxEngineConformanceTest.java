package ai.peft4j.engine.onnx;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.testkit.AbstractEngineConformanceTest;

class OnnxEngineConformanceTest extends AbstractEngineConformanceTest {
    @Override
    protected Engine engine() {
        return new OnnxEngine();
    }
}
