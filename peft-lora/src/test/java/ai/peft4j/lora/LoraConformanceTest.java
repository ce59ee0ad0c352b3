package ai.peft4j.lora;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.AbstractPeftMethodConformanceTest;
import java.util.List;

/** The shared method battery, run for LoRA on the PyTorch engine against every LoRA fixture. */
class LoraConformanceTest extends AbstractPeftMethodConformanceTest {

    @Override
    protected Engine engine() {
        return new PtEngine();
    }

    @Override
    protected List<FixtureAdapter> fixtureAdapters() {
        return List.of(new FixtureAdapter("tiny-gpt2", "lora-default"), new FixtureAdapter("tiny-gpt2", "lora-all-linear"),
                new FixtureAdapter("tiny-llama", "lora-default"), new FixtureAdapter("tiny-llama", "lora-all-linear"),
                new FixtureAdapter("tiny-llama", "lora-regex-rslora-patterns"), new FixtureAdapter("tiny-gptj", "lora-default"),
                new FixtureAdapter("tiny-gpt-neox", "lora-default"), new FixtureAdapter("tiny-qwen2", "lora-default"));
    }

    @Override
    protected PeftConfig freshConfig(String model) {
        return LoraConfig.builder().r(4).loraAlpha(8).build();
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
