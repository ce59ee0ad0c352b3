package ai.peft4j.engine.pytorch;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.testkit.AbstractTrainingTraceTest;
import java.util.List;

/** PEFT's recorded SGD traces through the trainer, with the test-only stand-in LoRA and prompt tuning. */
class PtTrainingTraceTest extends AbstractTrainingTraceTest {
    @Override
    protected Engine engine() {
        return new PtEngine();
    }

    @Override
    protected List<Trace> traces() {
        return List.of(new Trace("tiny-gpt2", "lora"), new Trace("tiny-llama", "lora"), new Trace("tiny-gpt2", "prompt-tuning"),
                new Trace("tiny-llama", "prompt-tuning"));
    }
}
