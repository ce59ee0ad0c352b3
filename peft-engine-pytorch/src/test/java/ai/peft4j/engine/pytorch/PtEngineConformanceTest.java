package ai.peft4j.engine.pytorch;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.testkit.AbstractEngineConformanceTest;

class PtEngineConformanceTest extends AbstractEngineConformanceTest {
    @Override
    protected Engine engine() {
        return new PtEngine();
    }
}
