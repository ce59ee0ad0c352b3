package ai.peft4j.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.Generator;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The ONNX and PyTorch engines agree on every fixture model: logits, cached decoding, beams, adapters. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxPytorchAgreementTest {
    private static final double TOL = 1e-4;

    private final Map<String, Checkpoint> checkpoints = new HashMap<>();
    private final Map<String, DecoderRuntime[]> runtimes = new HashMap<>();

    static Stream<String> models() {
        return Fixtures.MODELS.stream();
    }

    /** [onnx, pytorch] runtimes of one fixture model. */
    private synchronized DecoderRuntime[] pair(String model) {
        return runtimes.computeIfAbsent(model, m -> {
            Checkpoint c = checkpoints.computeIfAbsent(m, n -> Checkpoint.open(Fixtures.model(n)));
            EngineOptions o = new EngineOptions("cpu", 1);
            return new DecoderRuntime[] {new OnnxEngine().load(c, o), new PtEngine().load(c, o)};
        });
    }

    @AfterAll
    void closeAll() {
        runtimes.values().forEach(p -> {
            p[0].close();
            p[1].close();
        });
        checkpoints.values().forEach(Checkpoint::close);
    }

    @ParameterizedTest
    @MethodSource("models")
    void forwardLogitsAgree(String model) {
        DecoderRuntime[] rt = pair(model);
        for (JsonElement e : Fixtures.golden(Fixtures.model(model)).getAsJsonArray("forward")) {
            JsonObject c = e.getAsJsonObject();
            int[][] ids = Fixtures.ints2(c.get("input_ids"));
            int[][] mask = Fixtures.ints2(c.get("attention_mask"));
            ForwardRequest req = ForwardRequest.start(ids, mask, HookSet.EMPTY, null, false);
            Logits onnx = rt[0].forward(req, null);
            Logits pt = rt[1].forward(req, null);
            LogitsAssert.assertClose(onnx, pt.data(), mask, 0, TOL, model + "/" + c.get("name").getAsString());
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void cachedDecodingStepsAgree(String model) {
        DecoderRuntime[] rt = pair(model);
        int[][][] batch = leftPaddedBatch(model);
        compareSteps(rt, batch[0], batch[1], HookSet.EMPTY, null, model);
    }

    /** {ids, mask} of a two-row batch whose first row is left-padded (the golden case, or one built like it). */
    private static int[][][] leftPaddedBatch(String model) {
        JsonObject golden = Fixtures.golden(Fixtures.model(model));
        for (JsonElement e : golden.getAsJsonArray("forward")) {
            if (e.getAsJsonObject().get("name").getAsString().equals("batch_left_pad")) {
                return new int[][][] {Fixtures.ints2(e.getAsJsonObject().get("input_ids")),
                        Fixtures.ints2(e.getAsJsonObject().get("attention_mask"))};
            }
        }
        int[] row = Fixtures.ints2(golden.getAsJsonArray("forward").get(0).getAsJsonObject().get("input_ids"))[0];
        int[] padded = row.clone();
        int[] mask = new int[row.length];
        java.util.Arrays.fill(mask, 1);
        for (int i = 0; i < 3; i++) {
            padded[i] = 0;
            mask[i] = 0;
        }
        int[] ones = new int[row.length];
        java.util.Arrays.fill(ones, 1);
        return new int[][][] {{padded, row}, {mask, ones}};
    }

    private static void compareSteps(DecoderRuntime[] rt, int[][] ids, int[][] mask, HookSet hooks, String[] rows, String what) {
        try (KvCache co = rt[0].newCache(); KvCache cp = rt[1].newCache()) {
            ForwardRequest first = ForwardRequest.start(ids, mask, hooks, rows, true);
            Logits lo = rt[0].forward(first, co);
            Logits lp = rt[1].forward(first, cp);
            int[][] full = first.attentionMask();
            for (int step = 0; step < 4; step++) {
                LogitsAssert.assertClose(lo, lp.data(), null, 0, TOL, what + " step " + step);
                assertThat(co.length()).isEqualTo(cp.length());
                int[] next = new int[ids.length];
                for (int b = 0; b < ids.length; b++) {
                    next[b] = (7 * step + 31 * b + 5) % 200;
                    full[b] = java.util.Arrays.copyOf(full[b], full[b].length + 1);
                    full[b][full[b].length - 1] = 1;
                }
                ForwardRequest req = ForwardRequest.next(next, full, hooks, rows);
                lo = rt[0].forward(req, co);
                lp = rt[1].forward(req, cp);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void beamSearchAgrees(String model) {
        DecoderRuntime[] rt = pair(model);
        int[][] ids = {leftPaddedBatch(model)[0][1]};
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(6).numBeams(3).build();
        int[][] onnx = new Generator(rt[0], HookSet.EMPTY).generate(ids, null, cfg).sequences();
        int[][] pt = new Generator(rt[1], HookSet.EMPTY).generate(ids, null, cfg).sequences();
        assertThat(onnx).isEqualTo(pt);
    }

    @Test
    void loraStyleHooksOnEveryLinearSiteAgree() {
        for (String model : List.of("tiny-gpt2", "tiny-llama", "tiny-gpt-neox", "tiny-gptj", "tiny-qwen2")) {
            DecoderRuntime[] rt = pair(model);
            List<LinearSite> sites = rt[0].architecture().linearSites(rt[0].config());
            Map<String, HostTensor> t = TestHooks.loraTensors("agree", sites, 4, 11);
            HookSet hooks = null;
            for (DecoderRuntime r : rt) {
                hooks = TestHooks.installLora(r, "agree", sites, t, 2.0, HookSet.builder());
            }
            JsonObject c = Fixtures.forwardCase(Fixtures.golden(Fixtures.model(model)), "batch_left_pad");
            int[][] ids = Fixtures.ints2(c.get("input_ids"));
            int[][] mask = Fixtures.ints2(c.get("attention_mask"));
            ForwardRequest req = ForwardRequest.start(ids, mask, hooks, null, false);
            Logits base = rt[0].forward(ForwardRequest.start(ids, mask, HookSet.EMPTY, null, false), null);
            Logits onnx = rt[0].forward(req, null);
            Logits pt = rt[1].forward(req, null);
            LogitsAssert.assertClose(onnx, pt.data(), mask, 0, TOL, model + " lora");
            assertThat(LogitsAssert.maxAbsDiff(onnx, base.data(), mask, 0)).as("the hook changes the output").isGreaterThan(1e-2);
            compareSteps(rt, ids, mask, hooks, null, model + " lora cached");
            for (DecoderRuntime r : rt) {
                t.keySet().forEach(r.parameters()::remove);
            }
        }
    }

    @Test
    void mixedAdapterBatchAgreesAndEachRowEqualsItsOwnRun() {
        DecoderRuntime[] rt = pair("tiny-llama");
        List<LinearSite> sites = rt[0].architecture().linearSites(rt[0].config());
        Map<String, HostTensor> ta = TestHooks.loraTensors("a", sites, 4, 1);
        Map<String, HostTensor> tb = TestHooks.loraTensors("b", sites, 2, 2);
        HookSet hooks = null;
        for (DecoderRuntime r : rt) {
            HookSet.Builder builder = HookSet.builder();
            TestHooks.installLora(r, "a", sites, ta, 2.0, builder);
            hooks = TestHooks.installLora(r, "b", sites, tb, 0.5, builder);
        }
        int[] prompt = {5, 77, 300, 12, 900, 41};
        int[][] ids = {prompt, prompt, prompt};
        String[] rows = {"a", "b", "base"};
        ForwardRequest req = ForwardRequest.start(ids, null, hooks, rows, false);
        Logits onnx = rt[0].forward(req, null);
        Logits pt = rt[1].forward(req, null);
        LogitsAssert.assertClose(onnx, pt.data(), null, 0, TOL, "mixed batch");
        compareSteps(rt, ids, null, hooks, rows, "mixed batch cached");
        for (int r = 0; r < rows.length; r++) {
            Logits alone = rt[0].forward(ForwardRequest.start(new int[][] {prompt}, null, hooks, new String[] {rows[r]}, false), null);
            float[] row = new float[alone.data().length];
            System.arraycopy(onnx.data(), r * row.length, row, 0, row.length);
            LogitsAssert.assertClose(alone, row, null, 0, 1e-5, "row " + rows[r] + " alone");
        }
        for (DecoderRuntime r : rt) {
            ta.keySet().forEach(r.parameters()::remove);
            tb.keySet().forEach(r.parameters()::remove);
        }
    }

    @Test
    void softPromptHookAgreesIncludingLeftPaddingAndDecoding() {
        for (String model : List.of("tiny-gpt2", "tiny-llama")) {
            DecoderRuntime[] rt = pair(model);
            int hidden = rt[0].config().hiddenSize();
            HostTensor prompt = TestHooks.random(new Random(3), 0.3, 5, hidden);
            for (DecoderRuntime r : rt) {
                r.parameters().put("prompt.test", prompt, true);
            }
            HookSet hooks = HookSet.builder().input(TestHooks.softPrompt("prompt.test", 5)).build();
            JsonObject c = Fixtures.forwardCase(Fixtures.golden(Fixtures.model(model)), "batch_left_pad");
            int[][] ids = Fixtures.ints2(c.get("input_ids"));
            int[][] mask = Fixtures.ints2(c.get("attention_mask"));
            ForwardRequest req = ForwardRequest.start(ids, mask, hooks, null, false);
            Logits onnx = rt[0].forward(req, null);
            Logits pt = rt[1].forward(req, null);
            assertThat(onnx.positions()).isEqualTo(5 + ids[0].length);
            LogitsAssert.assertClose(onnx, pt.data(), mask, 5, TOL, model + " soft prompt");
            compareSteps(rt, ids, mask, hooks, null, model + " soft prompt cached");
            GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(8).build();
            assertThat(new Generator(rt[0], hooks).generate(ids, mask, cfg).sequences())
                    .isEqualTo(new Generator(rt[1], hooks).generate(ids, mask, cfg).sequences());
            for (DecoderRuntime r : rt) {
                r.parameters().remove("prompt.test");
            }
        }
    }

    @Test
    void mergedBaseWeightRebuildsTheSessionAndRestores() {
        DecoderRuntime[] rt = pair("tiny-llama");
        int[][] ids = {{5, 77, 300, 12}};
        ForwardRequest req = ForwardRequest.start(ids, null, HookSet.EMPTY, null, false);
        Logits before = rt[0].forward(req, null);
        String key = "model.layers.0.self_attn.q_proj.weight";
        List<Logits> changed = new ArrayList<>();
        for (DecoderRuntime r : rt) {
            HostTensor w = r.parameters().get(key);
            for (int i = 0; i < w.data().length; i++) {
                w.data()[i] *= 1.5f;
            }
            r.parameters().replaceBase(key, w);
            assertThat(r.parameters().isBaseReplaced(key)).isTrue();
            changed.add(r.forward(req, null));
        }
        LogitsAssert.assertClose(changed.get(0), changed.get(1).data(), null, 0, TOL, "merged");
        assertThat(LogitsAssert.maxAbsDiff(changed.get(0), before.data(), null, 0)).isGreaterThan(1e-3);
        for (DecoderRuntime r : rt) {
            r.parameters().restoreBase(key);
        }
        LogitsAssert.assertClose(rt[0].forward(req, null), before.data(), null, 0, 0, "restored");
    }
}
