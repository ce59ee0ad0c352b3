package ai.peft4j.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.serving.ModelExport;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code model.onnx} as exported loads in a fresh ONNX Runtime session from the files alone (no
 * injected initializers) and reproduces the engine within 1e-5 and the goldens within 1e-4, with
 * its KV cache fed back by hand as {@code model.json} describes.
 */
class OnnxExportTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"tiny-gpt2,LINK", "tiny-gpt2,COPY", "tiny-llama,LINK", "tiny-llama,COPY", "tiny-llama-fp16,LINK"})
    void exportedModelMatchesTheEngineAndTheGoldens(String name, OnnxExport.WeightStorage storage) throws Exception {
        Path out = tmp.resolve(name + "-" + storage);
        OnnxExport.Result r;
        JsonObject golden = Fixtures.golden(Fixtures.model(name));
        Map<String, float[]> engine = new HashMap<>();
        try (PeftModel model = PeftModel.open(Fixtures.model(name), new OnnxEngine(), new EngineOptions("cpu", 1))) {
            r = ModelExport.write(model, OnnxExport.to(out, storage));
            for (JsonElement e : golden.getAsJsonArray("forward")) {
                JsonObject c = e.getAsJsonObject();
                engine.put(c.get("name").getAsString(), model.forward(Fixtures.ints2(c.get("input_ids")),
                        Fixtures.ints2(c.get("attention_mask"))).data());
            }
        }
        assertThat(out.resolve(OnnxExport.MODEL_FILE)).isRegularFile();
        assertThat(out.resolve(OnnxExport.DESCRIPTION_FILE)).isRegularFile();
        boolean f32 = !name.endsWith("fp16");
        if (storage == OnnxExport.WeightStorage.LINK && f32) {
            assertThat(r.copiedBytes()).as("an F32 checkpoint is linked, not copied").isZero();
            assertThat(r.weightFiles()).containsExactly("model.safetensors");
        } else {
            assertThat(r.copiedBytes()).isEqualTo(r.weightBytes());
            assertThat(r.weightFiles()).containsExactly(OnnxExport.DATA_FILE);
        }
        assertRealExternalData(out, r);
        DecoderConfig cfg = DecoderConfig.load(Fixtures.model(name).resolve("config.json"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(out.resolve(OnnxExport.MODEL_FILE).toString(), so)) {
            for (JsonElement e : golden.getAsJsonArray("forward")) {
                JsonObject c = e.getAsJsonObject();
                int[][] ids = Fixtures.ints2(c.get("input_ids"));
                int[][] mask = Fixtures.ints2(c.get("attention_mask"));
                float[] got = Ort.run(env, s, cfg, ids, mask, null).logits;
                String what = name + "/" + c.get("name").getAsString();
                LogitsAssert.assertClose(logits(got, ids), engine.get(c.get("name").getAsString()), mask, 0, 1e-5, what + " vs engine");
                LogitsAssert.assertClose(logits(got, ids), Fixtures.floats(c.get("logits")), mask, 0, 1e-4, what + " vs golden");
            }
            // The cache, fed by hand: prompt minus its last token, then that token with the past.
            int[][] ids = Fixtures.ints2(golden.getAsJsonArray("forward").get(0).getAsJsonObject().get("input_ids"));
            int n = ids[0].length;
            int[][] head = {Arrays.copyOf(ids[0], n - 1)};
            Ort.Out first = Ort.run(env, s, cfg, head, null, null);
            Ort.Out step = Ort.run(env, s, cfg, new int[][] {{ids[0][n - 1]}}, null, first);
            float[] full = Ort.run(env, s, cfg, ids, null, null).logits;
            int v = cfg.vocabSize();
            float[] last = Arrays.copyOfRange(full, (n - 1) * v, n * v);
            double worst = 0;
            for (int i = 0; i < v; i++) {
                worst = Math.max(worst, Math.abs(last[i] - step.logits[i]));
            }
            assertThat(worst).as(name + " decode step with the fed-back cache").isLessThan(1e-5);
            first.close();
            step.close();
        }
    }

    private static Logits logits(float[] data, int[][] ids) {
        return new Logits(ids.length, ids[0].length, data.length / ids.length / ids[0].length, data);
    }

    /** Every initializer of the file is inline or external data inside the output directory. */
    private static void assertRealExternalData(Path out, OnnxExport.Result r) throws IOException {
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(out.resolve(OnnxExport.MODEL_FILE)));
        int external = 0;
        for (TensorProto t : m.getGraph().getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                external++;
                Map<String, String> kv = new HashMap<>();
                t.getExternalDataList().forEach(e -> kv.put(e.getKey(), e.getValue()));
                assertThat(kv.get("location")).isIn(r.weightFiles());
                long end = Long.parseLong(kv.get("offset")) + Long.parseLong(kv.get("length"));
                assertThat(end).isLessThanOrEqualTo(Files.size(out.resolve(kv.get("location"))));
            }
        }
        assertThat(external).isPositive();
    }

    @Test
    void describesInputsOutputsCacheAndTokenIds() throws IOException {
        Path out = tmp.resolve("described");
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-llama"), new OnnxEngine(), new EngineOptions("cpu", 1))) {
            ModelExport.write(model, OnnxExport.to(out, OnnxExport.WeightStorage.LINK));
        }
        JsonObject j = Fixtures.json(out.resolve(OnnxExport.DESCRIPTION_FILE));
        assertThat(j.get("model").getAsString()).isEqualTo("model.onnx");
        assertThat(j.getAsJsonArray("inputs").toString()).contains("\"input_ids\"", "\"int64\"", "\"batch\"",
                "past_key_values.0.key", "past_key_values.1.value");
        assertThat(j.getAsJsonArray("outputs").toString()).contains("\"logits\"", "present.1.value");
        assertThat(j.getAsJsonObject("kv_cache").get("layers").getAsInt()).isEqualTo(2);
        assertThat(j.has("eos_token_id")).isTrue();
        assertThat(j.getAsJsonArray("adapters")).isEmpty();
    }

    @Test
    void exportNeedsTheOnnxEngineAndLeavesNoPartialOutput() {
        Path out = tmp.resolve("refused");
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-gpt2"), new ai.peft4j.engine.pytorch.PtEngine(),
                new EngineOptions("cpu", 1))) {
            assertThatThrownBy(() -> ModelExport.write(model, OnnxExport.to(out, OnnxExport.WeightStorage.LINK)))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("onnx engine");
        }
        assertThat(out).doesNotExist();
    }

    /** A bare ONNX Runtime client of the exported file, as {@code model.json} describes it. */
    static final class Ort {
        private Ort() {}

        static final class Out implements AutoCloseable {
            float[] logits;
            int total;
            int[][] mask;
            OrtSession.Result result;

            @Override
            public void close() {
                result.close();
            }
        }

        /** One run; {@code past} (a previous run's output) supplies the cache and the mask so far. */
        static Out run(OrtEnvironment env, OrtSession s, DecoderConfig cfg, int[][] ids, int[][] mask, Out past) throws OrtException {
            int b = ids.length;
            int n = ids[0].length;
            int pastLen = past == null ? 0 : past.total;
            int[][] full = new int[b][pastLen + n];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < pastLen + n; j++) {
                    full[i][j] = j < pastLen ? past.mask[i][j] : (mask == null ? 1 : mask[i][j - pastLen]);
                }
            }
            int[][] pos = new int[b][n];
            for (int i = 0; i < b; i++) {
                int seen = 0;
                for (int j = 0; j < pastLen + n; j++) {
                    seen += full[i][j];
                    if (j >= pastLen) {
                        pos[i][j - pastLen] = full[i][j] == 0 ? 1 : seen - 1;
                    }
                }
            }
            Map<String, OnnxTensor> feeds = new HashMap<>();
            feeds.put("input_ids", longs(env, ids));
            feeds.put("attention_mask", longs(env, full));
            feeds.put("position_ids", longs(env, pos));
            OnnxTensor empty = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {b, cfg.numKvHeads(), 0, cfg.headDim()});
            for (int l = 0; l < cfg.numLayers(); l++) {
                if (past == null) {
                    feeds.put("past_key_values." + l + ".key", empty);
                    feeds.put("past_key_values." + l + ".value", empty);
                } else {
                    feeds.put("past_key_values." + l + ".key", (OnnxTensor) past.result.get("present." + l + ".key").orElseThrow());
                    feeds.put("past_key_values." + l + ".value", (OnnxTensor) past.result.get("present." + l + ".value").orElseThrow());
                }
            }
            Out o = new Out();
            o.result = s.run(feeds);
            OnnxTensor logits = (OnnxTensor) o.result.get("logits").orElseThrow();
            FloatBuffer fb = logits.getFloatBuffer();
            o.logits = new float[fb.remaining()];
            fb.get(o.logits);
            o.total = pastLen + n;
            o.mask = full;
            feeds.get("input_ids").close();
            feeds.get("attention_mask").close();
            feeds.get("position_ids").close();
            empty.close();
            return o;
        }

        static OnnxTensor longs(OrtEnvironment env, int[][] a) throws OrtException {
            LongBuffer buf = ByteBuffer.allocateDirect(a.length * a[0].length * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
            for (int[] row : a) {
                for (int x : row) {
                    buf.put(x);
                }
            }
            buf.rewind();
            return OnnxTensor.createTensor(env, buf, new long[] {a.length, a[0].length});
        }
    }
}
