package ai.peft4j.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.full.FullFineTuningConfig;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.testkit.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chunked LM head + cross-entropy gives the unchunked loss and gradients: full fine-tuning of
 * tiny-gpt2, so the tied head/embedding weight collects gradient from every chunk and the body.
 */
class PtChunkedLossTest {
    private static final int[][] IDS = {{5, 17, 250, 9, 1200, 33, 7, 81, 4, 99, 12}, {8, 3, 700, 42, 6, 1249, 1249, 1249, 1249, 1249, 1249}};
    private static final int[][] MASK = {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}};
    private static final int[][] LABELS = {{-100, -100, -100, 9, 1200, 33, 7, 81, 4, 99, 12}, {-100, 3, 700, 42, 6, -100, -100, -100, -100, -100, -100}};

    private static LossResult run(long chunkElements) {
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-gpt2"), new PtEngine(),
                EngineOptions.defaults().withLossChunkElements(chunkElements))) {
            model.addAdapter("default", new FullFineTuningConfig());
            return model.runtime().lossAndGradients(new TrainBatch(IDS, MASK, LABELS), model.hooks(), true);
        }
    }

    @Test
    void chunkedLossAndGradientsEqualTheUnchunkedOnes() {
        LossResult whole = run(0);
        LossResult chunked = run(2L * 1250 * 3); // 3 positions per chunk: 4 chunks, uneven last
        assertThat(chunked.tokens()).isEqualTo(whole.tokens());
        assertThat(chunked.lossSum()).isCloseTo(whole.lossSum(), within(1e-4));
        assertThat(chunked.gradients().keySet()).isEqualTo(whole.gradients().keySet());
        double maxDiff = 0;
        double maxAbs = 0;
        for (Map.Entry<String, HostTensor> e : whole.gradients().entrySet()) {
            float[] w = e.getValue().data();
            float[] c = chunked.gradients().get(e.getKey()).data();
            for (int i = 0; i < w.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(w[i] - c[i]));
                maxAbs = Math.max(maxAbs, Math.abs(w[i]));
            }
        }
        assertThat(maxAbs).isPositive();
        assertThat(maxDiff).as("max gradient difference (largest gradient %s)", maxAbs).isLessThan(1e-5 * Math.max(1, maxAbs));
        assertThat(run(2L * 1250 * 3).lossSum()).as("deterministic").isEqualTo(chunked.lossSum());
    }

    @Test
    void aHalfPrecisionHeadIsWidenedOncePerStepNotOncePerChunk() {
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-llama-fp16"), new PtEngine(),
                EngineOptions.defaults().withLossChunkElements(2L * 1250))) { // one position per chunk: 10 chunks
            PtDecoderRuntime rt = (PtDecoderRuntime) model.runtime();
            String head = "lm_head.weight";
            assertThat(rt.parameters().get(head)).isNotNull();
            long before = rt.widenings(head);
            LossResult chunked = rt.lossAndGradients(new TrainBatch(IDS, MASK, LABELS), model.hooks(), false);
            assertThat(rt.widenings(head) - before).as("widenings of the F16 head in one chunked step").isEqualTo(1);
            try (PeftModel whole = PeftModel.open(Fixtures.model("tiny-llama-fp16"), new PtEngine(),
                    EngineOptions.defaults().withLossChunkElements(0))) {
                LossResult w = whole.runtime().lossAndGradients(new TrainBatch(IDS, MASK, LABELS), whole.hooks(), false);
                assertThat(chunked.lossSum()).isCloseTo(w.lossSum(), within(1e-4));
            }
        }
    }
}
