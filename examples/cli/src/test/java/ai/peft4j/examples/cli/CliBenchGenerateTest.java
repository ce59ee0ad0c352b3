package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

class CliBenchGenerateTest {
    @Test
    void quantizedBasesAndJsonOnTheTinyPreset() {
        CliRun run = CliRun.of("bench", "generate", "--engine", "onnx", "--preset", "tiny", "--quantize", "none,int4,int8",
                "--prompt-tokens", "8", "--new-tokens", "4", "--warmup", "0", "--repeats", "1", "--threads", "1", "--json");
        assertThat(run.exit()).as(run.toString()).isZero();
        // stdout is exactly one JSON object; the text went to stderr
        JsonObject j = JsonParser.parseString(run.out()).getAsJsonObject();
        assertThat(run.err()).contains("onnx-int4 / onnx: decode ", "peak RSS of the process", "load average after: ");
        assertThat(j.get("bench").getAsString()).isEqualTo("generate");
        assertThat(j.get("load_average_before").getAsString()).isNotBlank();
        JsonObject engines = j.getAsJsonObject("engines");
        assertThat(engines.keySet()).containsExactly("onnx", "onnx-int4", "onnx-int8", "onnx-lora");
        for (String e : engines.keySet()) {
            JsonObject r = engines.getAsJsonObject(e);
            assertThat(r.get("decode_tokens_per_s").getAsDouble()).as(e).isPositive();
            assertThat(r.get("ttft_ms").getAsDouble()).as(e).isPositive();
            assertThat(r.get("rss_mib").getAsLong()).as(e).isPositive();
        }
        assertThat(engines.getAsJsonObject("onnx-int4").get("quantization").getAsString()).isEqualTo("int4");
        assertThat(j.getAsJsonObject("decode_speedup_over_float32").keySet()).containsExactly("onnx-int4/onnx", "onnx-int8/onnx");
    }

    @Test
    void engineOptionsReachTheEngineAndAMisspelledOneIsAOneLineError() {
        CliRun run = CliRun.of("bench", "generate", "--engine", "onnx", "--preset", "tiny", "--quantize", "int4",
                "--prompt-tokens", "8", "--new-tokens", "4", "--warmup", "0", "--repeats", "1", "--threads", "1", "--json",
                "--engine-option", "onnx.quantized_matmul=float32");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(JsonParser.parseString(run.out()).getAsJsonObject().get("onnx_quantized_matmul").getAsString()).isEqualTo("float32");
        CliRun bad = CliRun.of("bench", "generate", "--engine", "onnx", "--preset", "tiny", "--quantize", "int4",
                "--prompt-tokens", "8", "--new-tokens", "4", "--warmup", "0", "--repeats", "1",
                "--engine-option", "onnx.quantized_matmull=float32");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err().strip()).contains("onnx.quantized_matmull").contains("onnx.quantized_matmul").doesNotContain("\n");
    }

    @Test
    void anUnknownSchemeIsAOneLineError() {
        CliRun run = CliRun.of("bench", "generate", "--preset", "tiny", "--quantize", "int3");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).startsWith("error: unknown quantization 'int3'").doesNotContain("\n");
    }
}
