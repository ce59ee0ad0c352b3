package ai.peft4j.examples.ia3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** (IA)³ specifics: PEFT's keys, shapes and config, the scaling semantics, merging and discovery. */
class Ia3AdapterTest {
    private static final int[][] IDS = {{262, 301, 556, 489, 545, 0, 794, 332}, {1249, 1249, 1215, 322, 623, 545, 220, 676}};
    private static final int[][] MASK = {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 1, 1, 1, 1, 1, 1}};

    @TempDir
    Path tmp;

    private static PeftModel open(String model) {
        return PeftModel.open(Fixtures.model(model), new PtEngine(), new EngineOptions("cpu", 0));
    }

    private static Map<String, List<Long>> shapes(Adapter a) {
        Map<String, List<Long>> m = new TreeMap<>();
        a.stateShapes().forEach((k, v) -> m.put(k, java.util.Arrays.stream(v).boxed().toList()));
        return m;
    }

    /** Sets every vector to random values and returns them by parameter-store key. */
    private static Map<String, float[]> randomize(PeftModel model, String adapter, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ParameterStore store = model.runtime().parameters();
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String key : model.adapter(adapter).stateKeys().values()) {
            HostTensor t = store.get(key);
            float[] d = new float[t.data().length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (1 + rnd.nextGaussian() * 0.5);
            }
            store.update(key, new HostTensor(t.shape(), d));
            out.put(key, d);
        }
        return out;
    }

    @Test
    void pluginIsFoundByNameAndType() {
        assertThat(PeftMethods.byName("ia3")).isInstanceOf(Ia3Method.class);
        assertThat(PeftMethods.byName("IA3")).isInstanceOf(Ia3Method.class);
        assertThat(PeftMethods.forType("IA3")).isInstanceOf(Ia3Method.class);
    }

    /**
     * PEFT (tuners/ia3/layer.py): non-feedforward {@code ia3_l} is {@code [out_features, 1]},
     * feedforward {@code [1, in_features]}; GPT-2's Conv1D has in_features, out_features =
     * weight.shape = (in, out). Defaults from TRANSFORMERS_MODELS_TO_IA3_*_MAPPING.
     */
    @Test
    void gpt2DefaultKeysAndShapesAreThoseOfPeft() {
        try (PeftModel model = open("tiny-gpt2")) { // n_embd 64, n_inner 4*64, 2 layers
            Adapter a = model.addAdapter("default", Ia3Config.builder().build());
            assertThat(shapes(a)).isEqualTo(Map.of(
                    "base_model.model.transformer.h.0.attn.c_attn.ia3_l.weight", List.of(192L, 1L),
                    "base_model.model.transformer.h.0.mlp.c_proj.ia3_l.weight", List.of(1L, 256L),
                    "base_model.model.transformer.h.1.attn.c_attn.ia3_l.weight", List.of(192L, 1L),
                    "base_model.model.transformer.h.1.mlp.c_proj.ia3_l.weight", List.of(1L, 256L)));
            JsonObject json = a.config().toJson();
            assertThat(json.get("peft_type").getAsString()).isEqualTo("IA3");
            assertThat(json.get("fan_in_fan_out").getAsBoolean()).isTrue(); // Conv1D, as PEFT sets it
            assertThat(json.get("target_modules").toString()).isEqualTo("[\"c_attn\",\"mlp.c_proj\"]");
            assertThat(json.get("feedforward_modules").toString()).isEqualTo("[\"mlp.c_proj\"]");
            assertThat(json.get("init_ia3_weights").getAsBoolean()).isTrue();
            assertThat(json.keySet()).containsExactly("auto_mapping", "base_model_name_or_path", "exclude_modules",
                    "fan_in_fan_out", "feedforward_modules", "inference_mode", "init_ia3_weights", "modules_to_save",
                    "peft_type", "peft_version", "revision", "target_modules", "task_type");
        }
    }

    @Test
    void llamaDefaultKeysAndShapesAreThoseOfPeft() {
        try (PeftModel model = open("tiny-llama")) { // hidden 64, 4 heads of 16, 2 kv heads, intermediate 160
            Adapter a = model.addAdapter("default", Ia3Config.builder().build());
            Map<String, List<Long>> expected = new TreeMap<>();
            for (int i = 0; i < 2; i++) {
                String p = "base_model.model.model.layers." + i;
                expected.put(p + ".self_attn.k_proj.ia3_l.weight", List.of(32L, 1L));
                expected.put(p + ".self_attn.v_proj.ia3_l.weight", List.of(32L, 1L));
                expected.put(p + ".mlp.down_proj.ia3_l.weight", List.of(1L, 160L));
            }
            assertThat(shapes(a)).isEqualTo(expected);
            assertThat(a.config().toJson().get("fan_in_fan_out").getAsBoolean()).isFalse();
        }
    }

    @Test
    void freshVectorsAreOnesAndSavedFilesHavePeftKeysAndShapes() {
        Path out = tmp.resolve("saved");
        try (PeftModel model = open("tiny-gpt2")) {
            Adapter a = model.addAdapter("default", Ia3Config.builder().build());
            for (String key : a.stateKeys().values()) {
                for (float v : model.runtime().parameters().get(key).data()) {
                    assertThat(v).isEqualTo(1f);
                }
            }
            model.saveAdapter("default", out);
        }
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve(AdapterFiles.WEIGHTS))) {
            assertThat(f.info("base_model.model.transformer.h.0.attn.c_attn.ia3_l.weight").shape()).containsExactly(192, 1);
            assertThat(f.info("base_model.model.transformer.h.1.mlp.c_proj.ia3_l.weight").shape()).containsExactly(1, 256);
            assertThat(f.tensors()).hasSize(4);
        }
        JsonObject cfg = AdapterFiles.readConfig(out);
        assertThat(cfg.get("peft_type").getAsString()).isEqualTo("IA3");
        assertThat(cfg.get("base_model_name_or_path").getAsString()).isEqualTo("tiny-gpt2");
    }

    /**
     * The forward equals the base model whose weights are scaled by hand: the output rows of
     * k_proj/v_proj ([out, in]) and the input columns of down_proj.
     */
    @Test
    void llamaForwardEqualsBaseWithHandScaledWeights() {
        try (PeftModel model = open("tiny-llama")) {
            model.addAdapter("default", Ia3Config.builder().build());
            randomize(model, "default", 1);
            float[] adapted = model.forward(IDS, MASK).data();
            Ia3Adapter a = (Ia3Adapter) model.adapter("default");
            ParameterStore store = model.runtime().parameters();
            try (PeftModel.AdapterScope off = model.disableAdapters()) {
                for (Ia3Adapter.Layer l : a.layers()) {
                    float[] v = store.get(l.key()).data();
                    HostTensor w = store.get(l.site().weightKey());
                    int out = l.site().outFeatures();
                    int in = l.site().inFeatures();
                    float[] d = w.data();
                    for (int o = 0; o < out; o++) {
                        for (int i = 0; i < in; i++) {
                            d[o * in + i] *= l.site().shortName().equals("down_proj") ? v[i] : v[o];
                        }
                    }
                    store.replaceBase(l.site().weightKey(), new HostTensor(w.shape(), d));
                }
                LogitsAssert.assertClose(model.forward(IDS, MASK), adapted, MASK, 0, 1e-4, "hand-scaled llama");
            }
        }
    }

    /** GPT-2 Conv1D [in, out]: c_attn scales output columns and its bias; mlp.c_proj scales input rows. */
    @Test
    void gpt2ForwardEqualsBaseWithHandScaledConv1dWeightsAndBias() {
        try (PeftModel model = open("tiny-gpt2")) {
            model.addAdapter("default", Ia3Config.builder().build());
            randomize(model, "default", 2);
            float[] adapted = model.forward(IDS, MASK).data();
            Ia3Adapter a = (Ia3Adapter) model.adapter("default");
            ParameterStore store = model.runtime().parameters();
            try (PeftModel.AdapterScope off = model.disableAdapters()) {
                for (Ia3Adapter.Layer l : a.layers()) {
                    float[] v = store.get(l.key()).data();
                    boolean attn = l.site().shortName().equals("c_attn");
                    int in = l.site().inFeatures();
                    int out = l.site().outFeatures();
                    float[] d = store.get(l.site().weightKey()).data();
                    for (int i = 0; i < in; i++) {
                        for (int o = 0; o < out; o++) {
                            d[i * out + o] *= attn ? v[o] : v[i];
                        }
                    }
                    store.replaceBase(l.site().weightKey(), new HostTensor(new long[] {in, out}, d));
                    if (attn) {
                        float[] b = store.get(l.site().biasKey()).data();
                        for (int o = 0; o < out; o++) {
                            b[o] *= v[o];
                        }
                        store.replaceBase(l.site().biasKey(), new HostTensor(new long[] {out}, b));
                    }
                }
                LogitsAssert.assertClose(model.forward(IDS, MASK), adapted, MASK, 0, 1e-4, "hand-scaled gpt2");
            }
        }
    }

    @Test
    void mergeScalesBiasAndUnmergeRestoresExactly() {
        try (PeftModel model = open("tiny-gpt2")) {
            model.addAdapter("default", Ia3Config.builder().build());
            Map<String, float[]> v = randomize(model, "default", 3);
            ParameterStore store = model.runtime().parameters();
            String bias = "transformer.h.0.attn.c_attn.bias";
            float[] before = store.get(bias).data();
            float[] l = v.get("adapter.default.transformer.h.0.attn.c_attn.ia3_l");
            model.merge("default", true);
            float[] merged = store.get(bias).data();
            for (int i = 0; i < before.length; i++) {
                assertThat(merged[i]).isEqualTo(before[i] * l[i]);
            }
            model.unmerge("default");
            assertThat(store.isBaseReplaced(bias)).isFalse();
            assertThat(store.isBaseReplaced("transformer.h.0.attn.c_attn.weight")).isFalse();
            assertThat(store.get(bias).data()).isEqualTo(before);
        }
    }

    @Test
    void safeMergeRefusesNonFiniteVectorsAndLeavesTheBase() {
        try (PeftModel model = open("tiny-llama")) {
            Adapter a = model.addAdapter("default", Ia3Config.builder().build());
            ParameterStore store = model.runtime().parameters();
            String key = a.stateKeys().values().iterator().next();
            float[] d = store.get(key).data();
            d[3] = Float.NaN;
            store.update(key, new HostTensor(store.get(key).shape(), d));
            assertThatThrownBy(() -> model.merge("default", true)).isInstanceOf(Peft4jException.class).hasMessageContaining("NaN");
            assertThat(store.isBaseReplaced("model.layers.0.self_attn.k_proj.weight")).isFalse();
        }
    }

    @Test
    void onlyIa3VectorsGetGradients() {
        try (PeftModel model = open("tiny-gpt2")) {
            Adapter a = model.addAdapter("default", Ia3Config.builder().build());
            LossResult r = model.runtime().lossAndGradients(new TrainBatch(IDS, MASK, IDS), model.hooks(), true);
            assertThat(r.gradients().keySet()).containsExactlyInAnyOrderElementsOf(a.stateKeys().values());
            for (Map.Entry<String, HostTensor> g : r.gradients().entrySet()) {
                assertThat(g.getValue().shape()).as(g.getKey()).isEqualTo(model.runtime().parameters().get(g.getKey()).shape());
            }
        }
    }

    @Test
    void explicitTargetsFeedforwardRegexAndExcludeFollowPeft() {
        try (PeftModel model = open("tiny-llama")) {
            Ia3Config cfg = Ia3Config.builder().targetModules(".*\\.(q_proj|up_proj)")
                    .feedforwardModules(ai.peft4j.api.method.ModuleSelector.regex(".*up_proj"))
                    .excludeModules(ai.peft4j.api.method.ModuleSelector.names(List.of("model.layers.1.self_attn.q_proj")))
                    .build();
            Adapter a = model.addAdapter("x", cfg);
            assertThat(shapes(a)).isEqualTo(Map.of(
                    "base_model.model.model.layers.0.self_attn.q_proj.ia3_l.weight", List.of(64L, 1L),
                    "base_model.model.model.layers.0.mlp.up_proj.ia3_l.weight", List.of(1L, 64L),
                    "base_model.model.model.layers.1.mlp.up_proj.ia3_l.weight", List.of(1L, 64L)));
        }
    }

    /** PEFT's feedforward list check is a plain endswith, without a '.' boundary. */
    @Test
    void feedforwardNamesMatchAsPlainSuffixes() {
        Ia3Config cfg = Ia3Config.builder().targetModules(List.of("c_proj")).feedforwardModules(List.of("c_proj")).build();
        assertThat(cfg.isFeedforward("transformer.h.0.mlp.c_proj")).isTrue();
        assertThat(cfg.isFeedforward("transformer.h.0.attn.c_proj")).isTrue();
        Ia3Config plain = Ia3Config.builder().targetModules(List.of("proj")).feedforwardModules(List.of("proj")).build();
        assertThat(plain.isFeedforward("model.layers.0.mlp.down_proj")).isTrue();
        assertThat(plain.isFeedforward("model.layers.0.mlp.down")).isFalse();
    }

    @Test
    void configParsesPeftJsonValidatesAndRoundTrips() {
        String text = "{\"peft_type\": \"IA3\", \"task_type\": \"CAUSAL_LM\", \"target_modules\": [\"k_proj\", \"v_proj\", \"down_proj\"],"
                + " \"feedforward_modules\": [\"down_proj\"], \"fan_in_fan_out\": false, \"init_ia3_weights\": true,"
                + " \"modules_to_save\": null, \"revision\": null, \"inference_mode\": true, \"some_future_key\": 1}";
        Ia3Config cfg = Ia3Config.parse(JsonParser.parseString(text).getAsJsonObject(), "test.json");
        assertThat(cfg.targetModules().nameList()).containsExactly("k_proj", "v_proj", "down_proj");
        assertThat(Ia3Config.parse(cfg.toJson(), "again")).isEqualTo(cfg);
        assertThatThrownBy(() -> Ia3Config.parse(JsonParser.parseString(
                "{\"target_modules\": [\"k_proj\"], \"feedforward_modules\": [\"down_proj\"]}").getAsJsonObject(), "bad.json"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("bad.json").hasMessageContaining("subset");
        assertThatThrownBy(() -> Ia3Config.parse(JsonParser.parseString("{\"modules_to_save\": [\"lm_head\"]}").getAsJsonObject(), "m.json"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("modules_to_save");
        assertThatThrownBy(() -> Ia3Config.parse(JsonParser.parseString("{\"peft_type\": \"LORA\"}").getAsJsonObject(), "l.json"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("IA3");
        assertThatThrownBy(() -> Ia3Config.parse(JsonParser.parseString("{\"fan_in_fan_out\": \"yes\"}").getAsJsonObject(), "f.json"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("fan_in_fan_out");
    }

    @Test
    void targetsThatMatchNothingListTheModelsLayers() {
        try (PeftModel model = open("tiny-llama")) {
            assertThatThrownBy(() -> model.addAdapter("x", Ia3Config.builder().targetModules(List.of("c_attn"))
                    .feedforwardModules(List.of()).build()))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("q_proj");
            assertThat(model.runtime().parameters().adapterKeys()).isEmpty();
        }
    }
}
