package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.lora.LoraConfig.InitLoraWeights;
import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA-specific behaviour beyond the shared battery: init, config resolution, merging, summaries. */
class LoraAdapterTest {
    private static final int[][] IDS = {{262, 301, 556, 489, 545, 0, 794, 332, 519, 294, 596}};

    @TempDir
    Path tmp;

    private static PeftModel open(String model) {
        return PeftModel.open(Fixtures.model(model), new PtEngine(), new EngineOptions("cpu", 0));
    }

    // ---- init ----------------------------------------------------------------------------------

    @Test
    void defaultInitIsKaimingUniformAAndZeroB() {
        int r = 16;
        int in = 1024;
        HostTensor[] ab = LoraMethod.initialWeights(InitLoraWeights.DEFAULT, r, in, 48, new SplittableRandom(1));
        double bound = 1 / Math.sqrt(in);
        assertThat(ab[0].shape()).containsExactly(r, in);
        assertThat(ab[1].shape()).containsExactly(48, r);
        double[] s = stats(ab[0].data());
        assertThat(s[0]).as("min").isGreaterThanOrEqualTo(-bound);
        assertThat(s[1]).as("max").isLessThanOrEqualTo(bound).isGreaterThan(0.99 * bound);
        assertThat(s[2]).as("mean").isCloseTo(0, org.assertj.core.data.Offset.offset(0.02 * bound));
        assertThat(s[3]).as("variance of U(-b, b) is b²/3").isCloseTo(bound * bound / 3, org.assertj.core.data.Percentage.withPercentage(3));
        assertThat(ab[1].data()).containsOnly(0f);
    }

    @Test
    void falseInitDrawsBLikeNnLinearAndGaussianUsesStdOneOverR() {
        HostTensor[] random = LoraMethod.initialWeights(InitLoraWeights.RANDOM, 4, 64, 4096, new SplittableRandom(2));
        double[] b = stats(random[1].data());
        assertThat(b[0]).isGreaterThanOrEqualTo(-0.5);
        assertThat(b[1]).isLessThanOrEqualTo(0.5).isGreaterThan(0.49); // U(±1/√r), r = 4
        HostTensor[] gauss = LoraMethod.initialWeights(InitLoraWeights.GAUSSIAN, 8, 2048, 16, new SplittableRandom(3));
        assertThat(Math.sqrt(stats(gauss[0].data())[3])).isCloseTo(1.0 / 8, org.assertj.core.data.Percentage.withPercentage(3));
        assertThat(gauss[1].data()).containsOnly(0f);
    }

    @Test
    void initIsDeterministicPerSeed() {
        LoraConfig cfg = LoraConfig.builder().r(4).build();
        HostTensor a1;
        HostTensor a2;
        HostTensor a3;
        try (PeftModel m = open("tiny-llama")) {
            a1 = firstA(m.setSeed(42), cfg);
        }
        try (PeftModel m = open("tiny-llama")) {
            a2 = firstA(m.setSeed(42), cfg);
        }
        try (PeftModel m = open("tiny-llama")) {
            a3 = firstA(m.setSeed(43), cfg);
        }
        assertThat(a2).isEqualTo(a1);
        assertThat(a3).isNotEqualTo(a1);
    }

    private static HostTensor firstA(PeftModel m, LoraConfig cfg) {
        LoraAdapter a = (LoraAdapter) m.addAdapter("default", cfg);
        return m.runtime().parameters().get(a.layers().get(0).aKey());
    }

    private static double[] stats(float[] x) {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        double sum = 0;
        double sq = 0;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
            sq += (double) v * v;
        }
        double mean = sum / x.length;
        return new double[] {min, max, mean, sq / x.length - mean * mean};
    }

    // ---- config resolution against PEFT's files -------------------------------------------------

    @Test
    void freshAdaptersResolveTheirConfigExactlyAsPeftSavedIt() {
        LoraConfig base = LoraConfig.builder().r(4).loraAlpha(8).initLoraWeights(InitLoraWeights.RANDOM).build();
        Map<String, LoraConfig> cases = new java.util.LinkedHashMap<>();
        cases.put("tiny-gpt2/lora-default", base); // fan_in_fan_out forced to true for Conv1D
        cases.put("tiny-gpt2/lora-all-linear", base.toBuilder().targetModules("all-linear").build());
        cases.put("tiny-llama/lora-default", base);
        cases.put("tiny-llama/lora-all-linear", base.toBuilder().targetModules("all-linear").build());
        cases.put("tiny-llama/lora-regex-rslora-patterns", base.toBuilder().targetModules(".*\\.(q_proj|v_proj|down_proj)")
                .useRslora(true).rankPattern(Map.of("down_proj", 2)).alphaPattern(Map.of("v_proj", 16)).build());
        cases.put("tiny-gptj/lora-default", base);
        cases.put("tiny-gpt-neox/lora-default", base);
        cases.put("tiny-qwen2/lora-default", base);
        for (Map.Entry<String, LoraConfig> c : cases.entrySet()) {
            String[] parts = c.getKey().split("/");
            JsonObject peft = AdapterFiles.readConfig(Fixtures.adapter(parts[0], parts[1]));
            try (PeftModel m = open(parts[0])) {
                JsonObject ours = m.addAdapter("default", c.getValue()).config().toJson();
                assertThat(ours.keySet()).as(c.getKey()).isEqualTo(peft.keySet());
                for (String k : peft.keySet()) {
                    assertThat(norm(ours.get(k))).as(c.getKey() + " " + k).isEqualTo(norm(peft.get(k)));
                }
                assertThat(m.adapter("default").stateShapes().keySet())
                        .isEqualTo(readShapes(Fixtures.adapter(parts[0], parts[1]).resolve(AdapterFiles.WEIGHTS)).keySet());
            }
        }
    }

    private static Map<String, long[]> readShapes(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, long[]> m = new java.util.TreeMap<>();
            f.tensors().forEach((k, v) -> m.put(k, v.shape()));
            return m;
        }
    }

    private static Object norm(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonArray()) {
            TreeSet<String> s = new TreeSet<>();
            e.getAsJsonArray().forEach(x -> s.add(x.toString()));
            return s;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            return e.getAsDouble();
        }
        return e.toString();
    }

    @Test
    void aTargetMatchingNothingFailsWithoutRegisteringAnything() {
        try (PeftModel m = open("tiny-llama")) {
            assertThatThrownBy(() -> m.addAdapter("x", LoraConfig.builder().targetModules(List.of("c_attn")).build()))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("matched no linear layer of this llama model")
                    .hasMessageContaining("q_proj");
            assertThat(m.adapterNames()).isEmpty();
            assertThat(m.runtime().parameters().adapterKeys()).isEmpty();
        }
    }

    // ---- merging -------------------------------------------------------------------------------

    @Test
    void safeMergeRefusesNanAndLeavesTheBaseUntouched() {
        try (PeftModel m = open("tiny-llama")) {
            float[] base = m.forward(IDS, null).data();
            LoraAdapter a = (LoraAdapter) m.loadAdapter(Fixtures.adapter("tiny-llama", "lora-default"), "x");
            ParameterStore store = m.runtime().parameters();
            String lastB = a.layers().get(a.layers().size() - 1).bKey(); // earlier layers would merge first
            HostTensor b = store.get(lastB);
            b.data()[3] = Float.NaN;
            store.update(lastB, b);
            assertThatThrownBy(() -> m.merge("x", true)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("NaN/Inf").hasMessageContaining("model.layers.1.self_attn.v_proj")
                    .hasMessageContaining("untouched");
            assertThat(m.mergedAdapters()).isEmpty();
            for (LoraAdapter.Layer l : a.layers()) {
                assertThat(store.isBaseReplaced(l.site().weightKey())).as(l.site().module()).isFalse();
            }
            try (PeftModel.AdapterScope off = m.disableAdapters()) {
                assertThat(m.forward(IDS, null).data()).isEqualTo(base);
            }
        }
    }

    @Test
    void unmergeRestoresTheCheckpointExactlyAndStackedMergesSubtract() {
        try (PeftModel m = open("tiny-gpt2")) {
            float[] base = m.forward(IDS, null).data();
            m.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-default"), "a");
            m.loadAdapter(Fixtures.adapter("tiny-gpt2", "lora-all-linear"), "b");
            ParameterStore store = m.runtime().parameters();
            m.setActiveAdapters("b");
            float[] bOnly = m.forward(IDS, null).data();
            m.setActiveAdapters("a", "b");
            float[] both = m.forward(IDS, null).data();
            m.merge("a", true);
            m.merge("b", true);
            assertThat(maxDiff(m.forward(IDS, null).data(), both)).isLessThan(1e-4);
            m.unmerge("a"); // not the last merge on c_attn: subtracts
            assertThat(store.isBaseReplaced("transformer.h.0.attn.c_attn.weight")).isTrue();
            m.setActiveAdapters("b");
            assertThat(maxDiff(m.forward(IDS, null).data(), bOnly)).isLessThan(1e-4);
            m.unmerge("b"); // the last one: the checkpoint's values come back exactly
            for (String w : List.of("transformer.h.0.attn.c_attn.weight", "transformer.h.1.mlp.c_fc.weight")) {
                assertThat(store.isBaseReplaced(w)).as(w).isFalse();
            }
            try (PeftModel.AdapterScope off = m.disableAdapters()) {
                assertThat(m.forward(IDS, null).data()).isEqualTo(base);
            }
        }
    }

    @Test
    void fanInFanOutDeltaIsTheTransposeOfTheLinearDelta() {
        float[] a = {1, 2, 3, 4, 5, 6}; // [r=2, in=3]
        float[] b = {1, 0, 0, 1, 1, 1, 2, -1}; // [out=4, r=2]
        float[] outIn = LoraAdapter.delta(a, b, 2, 3, 4, 0.5, false);
        float[] inOut = LoraAdapter.delta(a, b, 2, 3, 4, 0.5, true);
        // row o of B·A: b[o][0]*A[0] + b[o][1]*A[1]
        assertThat(outIn).containsExactly(0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 2.5f, 3.5f, 4.5f, -1f, -0.5f, 0f);
        for (int o = 0; o < 4; o++) {
            for (int i = 0; i < 3; i++) {
                assertThat(inOut[i * 4 + o]).isEqualTo(outIn[o * 3 + i]);
            }
        }
    }

    @Test
    void mergedBf16ModelKeepsDtypesAndStreamsUntouchedTensorsUnchanged() {
        Path out = tmp.resolve("merged-bf16");
        try (PeftModel m = open("tiny-llama-bf16")) {
            m.loadAdapter(Fixtures.adapter("tiny-llama", "lora-default"), "x");
            m.saveMerged(out);
            assertThatThrownBy(() -> m.saveMerged(Fixtures.model("tiny-llama-bf16"))).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("own directory");
        }
        try (SafetensorsFile src = SafetensorsFile.open(Fixtures.model("tiny-llama-bf16").resolve("model.safetensors"));
                SafetensorsFile dst = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertThat(dst.tensors().keySet()).isEqualTo(src.tensors().keySet());
            for (String k : src.tensors().keySet()) {
                assertThat(dst.info(k).dtype()).as(k).isEqualTo(DType.BF16);
                boolean targeted = k.endsWith("q_proj.weight") || k.endsWith("v_proj.weight");
                assertThat(dst.rawBuffer(k).equals(src.rawBuffer(k))).as(k + " unchanged").isEqualTo(!targeted);
            }
        }
        try (PeftModel merged = PeftModel.open(out, new PtEngine(), new EngineOptions("cpu", 0))) {
            assertThat(merged.forward(IDS, null).data()).isNotEmpty();
        }
    }

    // ---- summary -------------------------------------------------------------------------------

    @Test
    void trainableParametersPrintLikePeft() {
        // tiny-llama: 246,336 base parameters; q_proj 64→64 and v_proj 64→32 per layer at r=4:
        // (4·64 + 64·4) + (4·64 + 32·4) = 896 per layer, 1,792 in all.
        try (PeftModel m = open("tiny-llama")) {
            m.addAdapter("default", LoraConfig.builder().r(4).build());
            assertThat(m.trainableParameters().toString())
                    .isEqualTo("trainable params: 1,792 || all params: 248,128 || trainable%: 0.7222");
        }
        // tiny-gpt2: 188,288 base parameters; c_attn 64→192 per layer at r=4: 256 + 768 = 1,024, so 2,048.
        try (PeftModel m = open("tiny-gpt2")) {
            m.addAdapter("default", LoraConfig.builder().r(4).build());
            assertThat(m.trainableParameters().toString())
                    .isEqualTo("trainable params: 2,048 || all params: 190,336 || trainable%: 1.0760");
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double w = 0;
        for (int i = 0; i < a.length; i++) {
            w = Math.max(w, Math.abs(a[i] - b[i]));
        }
        return w;
    }
}
