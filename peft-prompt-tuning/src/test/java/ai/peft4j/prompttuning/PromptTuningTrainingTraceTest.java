package ai.peft4j.prompttuning;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.AbstractTrainingTraceTest;
import java.util.List;

/** PEFT's recorded prompt-tuning SGD traces, replayed through the shared trainer. */
class PromptTuningTrainingTraceTest extends AbstractTrainingTraceTest {
    @Override
    protected Engine engine() {
        return new PtEngine();
    }

    @Override
    protected List<Trace> traces() {
        return List.of(new Trace("tiny-gpt2", "prompt-tuning"), new Trace("tiny-llama", "prompt-tuning"));
    }
}
