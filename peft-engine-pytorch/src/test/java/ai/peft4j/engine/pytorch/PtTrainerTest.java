package ai.peft4j.engine.pytorch;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.testkit.AbstractTrainerTest;

/** The trainer battery on PyTorch with the built-in {@code full} method; plugins rerun it with their methods. */
class PtTrainerTest extends AbstractTrainerTest {
    @Override
    protected Engine engine() {
        return new PtEngine();
    }
}
