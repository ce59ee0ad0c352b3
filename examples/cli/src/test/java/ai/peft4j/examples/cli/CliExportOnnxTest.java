package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoraAdapter;
import ai.onnxruntime.OrtSession;
import ai.peft4j.testkit.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j export-onnx} and {@code peft4j bench generate} from the command line. */
class CliExportOnnxTest {
    @TempDir
    Path tmp;

    @Test
    void exportsModelAdapterAndDescriptionThatOrtLoads() throws Exception {
        Path out = tmp.resolve("exported");
        CliRun r = CliRun.of("export-onnx", "--model", Fixtures.model("tiny-llama").toString(),
                "--adapter", Fixtures.adapter("tiny-llama", "lora-default").toString(), "--adapter-name", "summarize",
                "--out", out.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("adapter summarize: summarize.onnx_adapter", "0.0 MB copied");
        assertThat(out.resolve("model.onnx")).isRegularFile();
        assertThat(out.resolve("model.safetensors")).isRegularFile();
        assertThat(Files.readString(out.resolve("model.json"))).contains("summarize.onnx_adapter", "past_key_values.{layer}.key");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(out.resolve("model.onnx").toString(), so);
                OrtLoraAdapter a = OrtLoraAdapter.create(out.resolve("summarize.onnx_adapter").toString())) {
            assertThat(s.getInputNames()).contains("input_ids", "attention_mask", "position_ids", "past_key_values.0.key");
            assertThat(s.getOutputNames()).contains("logits", "present.1.value");
        }
    }

    @Test
    void copyModeAndBadModeAndPromptTuningAdapter() {
        Path out = tmp.resolve("copied");
        CliRun ok = CliRun.of("export-onnx", "--model", Fixtures.model("tiny-gpt2").toString(), "--out", out.toString(),
                "--weights", "copy");
        assertThat(ok.exit()).as(ok.toString()).isZero();
        assertThat(out.resolve("model.onnx.data")).isRegularFile();
        CliRun bad = CliRun.of("export-onnx", "--model", Fixtures.model("tiny-gpt2").toString(), "--out", tmp.resolve("x").toString(),
                "--weights", "mmap");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--weights must be link or copy");
        CliRun pt = CliRun.of("export-onnx", "--model", Fixtures.model("tiny-gpt2").toString(), "--out", tmp.resolve("pt").toString(),
                "--adapter", Fixtures.adapter("tiny-gpt2", "pt-text").toString());
        assertThat(pt.exit()).as(pt.toString()).isEqualTo(2);
        assertThat(pt.err()).contains("cannot be served per request from one graph");
        assertThat(tmp.resolve("pt")).doesNotExist();
    }

    @Test
    void benchGenerateReportsBothEnginesAndTheSwitchingCost() {
        CliRun r = CliRun.of("bench", "generate", "--preset", "tiny", "--prompt-tokens", "16", "--new-tokens", "4", "--repeats", "1",
                "--warmup", "0", "--threads", "1");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("onnx ", "pytorch ", "onnx-lora", "TTFT", "tok/s", "onnx / pytorch:", "per-request LoRA switching",
                "load average");
        CliRun bare = CliRun.of("bench");
        assertThat(bare.exit()).isEqualTo(2);
        assertThat(bare.err()).contains("generate");
    }
}
