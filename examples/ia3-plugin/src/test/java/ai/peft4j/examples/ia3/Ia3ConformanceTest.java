package ai.peft4j.examples.ia3;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.AbstractPeftMethodConformanceTest;
import java.util.List;

/**
 * The shared method battery for (IA)³ on the PyTorch engine. There are no Python-made (IA)³
 * fixtures, so the golden checks are skipped; every invariant runs on fresh adapters with PEFT's
 * default targets for each fixture model.
 */
class Ia3ConformanceTest extends AbstractPeftMethodConformanceTest {

    @Override
    protected Engine engine() {
        return new PtEngine();
    }

    @Override
    protected List<FixtureAdapter> fixtureAdapters() {
        return List.of();
    }

    @Override
    protected List<String> models() {
        return List.of("tiny-gpt2", "tiny-llama", "tiny-gpt-neox");
    }

    @Override
    protected PeftConfig freshConfig(String model) {
        return Ia3Config.builder().build();
    }

    @Override
    protected boolean supportsMerge() {
        return true;
    }

    @Override
    protected boolean supportsMixedBatches() {
        return true;
    }
}
