package ai.peft4j.examples.ia3;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX parity for (IA)³: a randomised adapter saved from the PyTorch engine gives the same logits,
 * unmerged and merged, on the ONNX engine (peft-engine-onnx, a test dependency of this module,
 * found by name as any installed engine is; {@link Ia3OnnxConformanceTest} runs the whole battery
 * there).
 */
class Ia3OnnxParityTest {
    private static final int[][] IDS = {{262, 301, 556, 489, 545, 0, 794, 332}, {1249, 1249, 1215, 322, 623, 545, 220, 676}};
    private static final int[][] MASK = {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 1, 1, 1, 1, 1, 1}};

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama", "tiny-gpt-neox"})
    void onnxEngineMatchesPytorchWithAnIa3Adapter(String modelName) {
        Engine onnx = Engines.byName("onnx"); // a test dependency: missing is a failure, not a skip
        Path dir = tmp.resolve("ia3-" + modelName);
        float[] expected;
        try (PeftModel pt = PeftModel.open(Fixtures.model(modelName), new PtEngine(), new EngineOptions("cpu", 0))) {
            pt.addAdapter("default", Ia3Config.builder().build());
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
            var store = pt.runtime().parameters();
            for (String key : pt.adapter("default").stateKeys().values()) {
                var t = store.get(key);
                float[] d = new float[t.data().length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) (1 + rnd.nextGaussian() * 0.5);
                }
                store.update(key, new ai.peft4j.api.io.HostTensor(t.shape(), d));
            }
            expected = pt.forward(IDS, MASK).data();
            pt.saveAdapter("default", dir);
        }
        try (PeftModel ort = PeftModel.open(Fixtures.model(modelName), onnx, new EngineOptions("cpu", 0))) {
            ort.loadAdapter(dir, "default");
            LogitsAssert.assertClose(ort.forward(IDS, MASK), expected, MASK, 0, 1e-4, modelName + " onnx vs pytorch");
            ort.merge("default", true);
            LogitsAssert.assertClose(ort.forward(IDS, MASK), expected, MASK, 0, 1e-4, modelName + " onnx merged vs pytorch");
        }
    }
}
