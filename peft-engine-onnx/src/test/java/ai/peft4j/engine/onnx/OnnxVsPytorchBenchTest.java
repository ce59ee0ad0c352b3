package ai.peft4j.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark runs end to end on a tiny random model (the real run is a CLI/main, not a unit test). */
class OnnxVsPytorchBenchTest {
    @TempDir
    Path dir;

    @Test
    void benchRunsEveryModeOnATinyRandomModel() {
        Path model = OnnxVsPytorchBench.writeRandomGpt2(dir.resolve("tiny"), 2, 64, 4, 300, 64, 3);
        for (String engine : new String[] {"onnx", "pytorch", "onnx-lora", "onnx-int4", "onnx-int8", "pytorch-int4", "onnx-fp16",
                "onnx-lora-int4"}) {
            OnnxVsPytorchBench.Result r = OnnxVsPytorchBench.run(engine, model, 16, 8, 0, 1, 1);
            assertThat(r.decodeTokensPerSecond()).as(engine).isPositive();
            assertThat(r.ttftMs()).as(engine).isPositive();
            assertThat(r.quantization()).as(engine).isEqualTo(OnnxVsPytorchBench.quantizationOf(engine).id());
        }
    }
}
