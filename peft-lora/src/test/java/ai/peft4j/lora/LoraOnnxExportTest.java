package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoraAdapter;
import ai.onnxruntime.OrtSession;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.serving.ModelExport;
import ai.peft4j.engine.onnx.OnnxEngine;
import ai.peft4j.engine.onnx.OnnxExport;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An exported model with LoRA adapters, run by a bare ONNX Runtime client: each
 * {@code .onnx_adapter} activated with {@code OrtLoraAdapter} reproduces that adapter's PEFT
 * goldens, and no active adapter gives the base model's goldens.
 */
class LoraOnnxExportTest {
    @TempDir
    Path tmp;

    @Test
    void everyExportedAdapterReproducesItsPeftGoldensInABareOrtSession() throws Exception {
        String base = "tiny-llama";
        Map<String, Path> dirs = Map.of("patterns", Fixtures.adapter(base, "lora-regex-rslora-patterns"),
                "default", Fixtures.adapter(base, "lora-default"));
        Path out = tmp.resolve("export");
        OnnxExport.Result r;
        try (PeftModel model = PeftModel.open(Fixtures.model(base), new OnnxEngine(), new EngineOptions("cpu", 1))) {
            model.loadAdapter(dirs.get("patterns"), "patterns");
            model.loadAdapter(dirs.get("default"), "default");
            r = ModelExport.write(model, OnnxExport.to(out, OnnxExport.WeightStorage.LINK));
        }
        assertThat(r.adapterFiles()).containsEntry("patterns", "patterns.onnx_adapter").containsEntry("default", "default.onnx_adapter");
        JsonObject description = Fixtures.json(out.resolve(OnnxExport.DESCRIPTION_FILE));
        assertThat(description.getAsJsonArray("adapters").toString()).contains("patterns.onnx_adapter", "\"LORA\"");
        DecoderConfig cfg = DecoderConfig.load(Fixtures.model(base).resolve("config.json"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(out.resolve(OnnxExport.MODEL_FILE).toString(), so)) {
            for (String name : new String[] {"patterns", null, "default"}) {
                Path goldenDir = name == null ? Fixtures.model(base) : dirs.get(name);
                try (OrtLoraAdapter adapter = name == null ? null
                        : OrtLoraAdapter.create(out.resolve(r.adapterFiles().get(name)).toString());
                        OrtSession.RunOptions options = new OrtSession.RunOptions()) {
                    if (adapter != null) {
                        options.addActiveLoraAdapter(adapter);
                    }
                    for (JsonElement e : Fixtures.golden(goldenDir).getAsJsonArray("forward")) {
                        JsonObject c = e.getAsJsonObject();
                        int[][] ids = Fixtures.ints2(c.get("input_ids"));
                        int[][] mask = Fixtures.ints2(c.get("attention_mask"));
                        float[] got = run(env, s, options, cfg, ids, mask);
                        LogitsAssert.assertClose(new Logits(ids.length, ids[0].length, cfg.vocabSize(), got),
                                Fixtures.floats(c.get("logits")), mask, 0, 1e-4, (name == null ? "base" : name) + "/" + c.get("name"));
                    }
                }
            }
        }
    }

    @Test
    void mergedAdapterIsExportedAsTheBaseWeights() throws Exception {
        Path dir = Fixtures.adapter("tiny-llama", "lora-default");
        Path out = tmp.resolve("merged");
        OnnxExport.Result r;
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-llama"), new OnnxEngine(), new EngineOptions("cpu", 1))) {
            model.loadAdapter(dir, "default");
            model.merge("default", true);
            r = ModelExport.write(model, OnnxExport.to(out, OnnxExport.WeightStorage.LINK));
        }
        assertThat(r.adapterFiles()).isEmpty();
        assertThat(r.weightFiles()).contains(OnnxExport.DATA_FILE);
        DecoderConfig cfg = DecoderConfig.load(Fixtures.model("tiny-llama").resolve("config.json"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(out.resolve(OnnxExport.MODEL_FILE).toString(), so);
                OrtSession.RunOptions options = new OrtSession.RunOptions()) {
            for (JsonElement e : Fixtures.golden(dir).getAsJsonArray("forward")) {
                JsonObject c = e.getAsJsonObject();
                int[][] ids = Fixtures.ints2(c.get("input_ids"));
                int[][] mask = Fixtures.ints2(c.get("attention_mask"));
                LogitsAssert.assertClose(new Logits(ids.length, ids[0].length, cfg.vocabSize(), run(env, s, options, cfg, ids, mask)),
                        Fixtures.floats(c.get("logits")), mask, 0, 1e-4, "merged/" + c.get("name"));
            }
        }
    }

    /** A first run (empty cache) as {@code model.json} describes it. */
    private static float[] run(OrtEnvironment env, OrtSession s, OrtSession.RunOptions options, DecoderConfig cfg, int[][] ids,
            int[][] mask) throws OrtException {
        int b = ids.length;
        int[][] pos = new int[b][ids[0].length];
        for (int i = 0; i < b; i++) {
            int seen = 0;
            for (int j = 0; j < ids[0].length; j++) {
                seen += mask[i][j];
                pos[i][j] = mask[i][j] == 0 ? 1 : seen - 1;
            }
        }
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try (OnnxTensor idsT = longs(env, ids); OnnxTensor maskT = longs(env, mask); OnnxTensor posT = longs(env, pos);
                OnnxTensor empty = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {b, cfg.numKvHeads(), 0, cfg.headDim()})) {
            feeds.put("input_ids", idsT);
            feeds.put("attention_mask", maskT);
            feeds.put("position_ids", posT);
            for (int l = 0; l < cfg.numLayers(); l++) {
                feeds.put("past_key_values." + l + ".key", empty);
                feeds.put("past_key_values." + l + ".value", empty);
            }
            try (OrtSession.Result result = s.run(feeds, options)) {
                FloatBuffer fb = ((OnnxTensor) result.get("logits").orElseThrow()).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return out;
            }
        }
    }

    private static OnnxTensor longs(OrtEnvironment env, int[][] a) throws OrtException {
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
