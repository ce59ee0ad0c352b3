package ai.peft4j.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.quant.Quantization;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decoding bench runs every kind of spec end to end on the tiny preset (the real run is the CLI's). */
class GenerateBenchTest {
    @TempDir
    Path dir;

    @Test
    void everySpecGeneratesExactlyTheRequestedTokens() throws Exception {
        StringWriter log = new StringWriter();
        TrainBench.writeOrReuseRandomModel(dir, "tiny", 32, new PrintWriter(log));
        TrainBench.writeOrReuseRandomModel(dir, "tiny", 32, new PrintWriter(log));
        assertThat(log.toString()).contains("written in").contains("reused from");
        List<String> specs = List.of("onnx", "pytorch", "onnx-lora", "onnx-int4", "onnx-int8", "pytorch-int4", "onnx-fp16",
                "onnx-lora-int4");
        List<GenerateBench.Result> results = GenerateBench.run(specs, dir, 16, 8, 0, 1, 1, Map.of("onnx.quantized_matmul", "float32"));
        assertThat(results).extracting(GenerateBench.Result::engine).containsExactlyElementsOf(specs);
        for (GenerateBench.Result r : results) {
            assertThat(r.decodeTokensPerSecond()).as(r.engine()).isPositive();
            assertThat(r.ttftMs()).as(r.engine()).isPositive();
            assertThat(r.quantization()).as(r.engine()).isEqualTo(GenerateBench.Spec.parse(r.engine()).quantization().id());
        }
    }

    @Test
    void specsParseTheirSuffixesAndRefuseAdaptersOffOnnx() {
        GenerateBench.Spec s = GenerateBench.Spec.parse("onnx-lora-fp16-int4");
        assertThat(s.engine()).isEqualTo("onnx");
        assertThat(s.servedAdapters()).isTrue();
        assertThat(s.float16()).isTrue();
        assertThat(s.quantization()).isEqualTo(Quantization.INT4);
        assertThatThrownBy(() -> GenerateBench.Spec.parse("pytorch-lora")).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("onnx-lora");
    }
}
