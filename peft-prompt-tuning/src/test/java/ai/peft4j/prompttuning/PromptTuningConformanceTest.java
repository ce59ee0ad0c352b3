package ai.peft4j.prompttuning;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.AbstractPeftMethodConformanceTest;
import java.util.List;

/** The method conformance battery for prompt tuning on the PyTorch engine. */
class PromptTuningConformanceTest extends AbstractPeftMethodConformanceTest {

    @Override
    protected Engine engine() {
        return new PtEngine();
    }

    @Override
    protected List<FixtureAdapter> fixtureAdapters() {
        return List.of(new FixtureAdapter("tiny-gpt2", "pt-random"), new FixtureAdapter("tiny-gpt2", "pt-text"),
                new FixtureAdapter("tiny-llama", "pt-random"), new FixtureAdapter("tiny-llama", "pt-text"));
    }

    @Override
    protected PeftConfig freshConfig(String model) {
        return PromptTuningConfig.builder().numVirtualTokens(4).build();
    }

    /** A soft prompt changes every output, even freshly initialised. */
    @Override
    protected boolean initIsNoOp() {
        return false;
    }

    /**
     * Every fixture model has hidden size 64, so a [5, 64] soft prompt fits all of them;
     * {@code PromptTuningAdapterTest} checks that a prompt of another width is refused.
     */
    @Override
    protected String foreignBase(FixtureAdapter fa) {
        return null;
    }
}
