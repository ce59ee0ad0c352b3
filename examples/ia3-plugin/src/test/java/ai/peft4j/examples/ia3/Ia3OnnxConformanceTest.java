package ai.peft4j.examples.ia3;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.Engines;

/**
 * The (IA)³ battery on the ONNX Runtime engine, which the plugin never names in its own code: the
 * same adapter code is traced into the ONNX graph (the gradient check is skipped, as the engine
 * does not train).
 */
class Ia3OnnxConformanceTest extends Ia3ConformanceTest {

    @Override
    protected Engine engine() {
        return Engines.byName("onnx");
    }
}
