package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CliInfoTest {

    static Path config(String name) {
        try {
            return Path.of(CliInfoTest.class.getResource("/configs/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonObject info(Path model, String... extra) {
        String[] args = new String[3 + extra.length + 1];
        args[0] = "info";
        args[1] = "--model";
        args[2] = model.toString();
        System.arraycopy(extra, 0, args, 3, extra.length);
        args[args.length - 1] = "--json";
        CliRun run = CliRun.of(args);
        assertThat(run.exit()).as(run.toString()).isZero();
        return JsonParser.parseString(run.out()).getAsJsonObject();
    }

    @Test
    void kogptIsAbout6BillionParameters() {
        JsonObject o = info(config("kogpt"));
        assertThat(o.get("model_type").getAsString()).isEqualTo("gptj");
        // 2*V*h + V (head bias) + L*(4h^2 + 2hI + I + h + 2h) + 2h, written out independently of the architecture.
        long h = 4096;
        long i = 4 * h;
        long v = 64512;
        long expected = 2 * v * h + v + 28 * (4 * h * h + 2 * h * i + i + h + 2 * h) + 2 * h;
        assertThat(o.get("parameters").getAsLong()).isEqualTo(expected).isEqualTo(6_166_502_400L);
        assertThat(o.get("layers").getAsInt()).isEqualTo(28);
        assertThat(o.get("rotary_dim").getAsInt()).isEqualTo(64);
        assertThat(o.get("context").getAsInt()).isEqualTo(2048);
        assertThat(o.get("dtype").getAsString()).isEqualTo("float16");
        assertThat(o.get("stored_dtype").isJsonNull()).isTrue();
        JsonObject inf = o.getAsJsonObject("memory").getAsJsonObject("inference");
        // config.json says float16 and there are no files: held at rest as 2 bytes per value.
        assertThat(inf.get("weights_bytes").getAsLong()).isEqualTo(2 * expected);
        JsonArray byBase = o.getAsJsonObject("memory").getAsJsonArray("by_base");
        assertThat(byBase).hasSize(8);
        long int4Weights = byBase.get(6).getAsJsonObject().get("weights_bytes").getAsLong();
        assertThat(int4Weights).as("int4 base").isLessThan(expected).isGreaterThan(expected / 4);
        long fp16Plain = byBase.get(2).getAsJsonObject().get("lora_training_bytes").getAsLong();
        long fp16Ckpt = byBase.get(3).getAsJsonObject().get("lora_training_bytes").getAsLong();
        assertThat(fp16Ckpt).as("checkpointing keeps one block's fp32 weights, not all").isLessThan(fp16Plain - 4 * expected / 2);
        // K and V: 2 * layers * heads * head_dim * context * 4 bytes.
        assertThat(inf.get("kv_cache_bytes").getAsLong()).isEqualTo(4L * 2 * 28 * 16 * 256 * 2048);
        JsonObject tr = o.getAsJsonObject("memory").getAsJsonObject("lora_training");
        assertThat(tr.getAsJsonArray("lora_targets").toString()).isEqualTo("[\"q_proj\",\"v_proj\"]");
        assertThat(tr.get("lora_parameters").getAsLong()).isEqualTo(28L * 2 * 8 * (h + h));
        assertThat(tr.get("total_bytes").getAsLong()).isGreaterThan(inf.get("weights_bytes").getAsLong());
    }

    @Test
    void polyglotKo13bIsAbout1point3BillionParameters() {
        JsonObject o = info(config("polyglot-ko-1.3b"));
        assertThat(o.get("model_type").getAsString()).isEqualTo("gpt_neox");
        long h = 2048;
        long i = 8192;
        long v = 30080;
        // qkv + dense (with biases), MLP (with biases), two layer norms per layer; embed_in, embed_out, final norm.
        long expected = 2 * v * h + 24 * (4 * h * h + 4 * h + 2 * h * i + i + h + 4 * h) + 2 * h;
        assertThat(o.get("parameters").getAsLong()).isEqualTo(expected).isBetween(1_300_000_000L, 1_350_000_000L);
        assertThat(o.get("rotary_dim").getAsInt()).isEqualTo(64); // rotary_pct 0.5 of head_dim 128
        assertThat(o.getAsJsonObject("memory").getAsJsonObject("lora_training").get("lora_parameters").getAsLong())
                .isEqualTo(24L * 8 * (h + 3 * h));
    }

    @Test
    void kogpt2BaseIsAbout125MillionParameters() {
        JsonObject o = info(config("kogpt2-base-v2"));
        assertThat(o.get("model_type").getAsString()).isEqualTo("gpt2");
        long h = 768;
        long expected = 51200 * h + 1024 * h + 12 * (12 * h * h + 13 * h) + 2 * h; // tied head counted once
        assertThat(o.get("parameters").getAsLong()).isEqualTo(expected).isEqualTo(125_164_032L);
        assertThat(o.get("vocab_size").getAsInt()).isEqualTo(51200);
    }

    @Test
    void aConfigFileAloneIsEnoughAndTextOutputStatesTheFormulas() {
        CliRun run = CliRun.of("info", "--model", config("kogpt").resolve("config.json").toString());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("gptj").contains("6,166,502,400").contains("6.17B").contains("none (sized from config.json)")
                .contains("inference").contains("LoRA training").contains("LoRA train ckpt").contains("int4");
        CliRun help = CliRun.of("info", "--help");
        assertThat(help.out()).contains("KV cache      = 4 * 2 * L * kv_heads * head_dim * batch * context")
                .contains("activations   = 4 * B * T * L * (10h + 3I + 2*heads*T) + head")
                .contains("with checkpointing: 4*B*T*h*(L+1)");
        assertThat(help.out().lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(80));
    }

    @Test
    void fixtureWeightsAreValidatedAndTheirDtypeReported() {
        JsonObject f32 = info(Fixtures.model("tiny-gpt2"));
        assertThat(f32.get("stored_dtype").getAsString()).isEqualTo("F32");
        assertThat(f32.get("weights").getAsString()).contains("validated");
        assertThat(info(Fixtures.model("tiny-llama-bf16")).get("stored_dtype").getAsString()).isEqualTo("BF16");
        assertThat(info(Fixtures.model("tiny-llama-sharded")).get("weights_disk_bytes").getAsLong()).isPositive();
        JsonObject small = info(Fixtures.model("tiny-llama"), "--batch", "2", "--context", "64", "--train-seq", "1000");
        assertThat(small.getAsJsonObject("memory").getAsJsonObject("inference").get("context").getAsInt()).isEqualTo(64);
        // The training sequence is capped at the model's context (128).
        assertThat(small.getAsJsonObject("memory").getAsJsonObject("lora_training").get("seq_len").getAsInt()).isEqualTo(128);
    }
}
