package ai.peft4j.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.Generator;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-request adapters through ONNX Runtime's native LoRA support: one session, adapters as
 * {@code .onnx_adapter} files switched per run, each output equal to that adapter run alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxSharedGraphServingTest {
    private static final String SLOT = "slot";
    private static final int[] RANKS = {4, 2, 8};
    private static final double[] SCALES = {2.0, 0.5, 1.0};

    @TempDir
    static Path dir;

    private Checkpoint ckpt;
    private OnnxDecoderRuntime rt;
    private List<LinearSite> sites;
    private HookSet template;
    private OnnxSharedGraphServing serving;
    private final List<OnnxSharedGraphServing.Adapter> adapters = new ArrayList<>();
    /** Per adapter, its tensors keyed by the adapter's own name, for the reference runs. */
    private final List<Map<String, HostTensor>> own = new ArrayList<>();

    @BeforeAll
    void setUp() {
        ckpt = Checkpoint.open(Fixtures.model("tiny-llama"));
        rt = (OnnxDecoderRuntime) new OnnxEngine().load(ckpt, new EngineOptions("cpu", 1));
        sites = rt.architecture().linearSites(rt.config()).stream()
                .filter(s -> s.shortName().equals("q_proj") || s.shortName().equals("v_proj") || s.shortName().equals("down_proj"))
                .toList();
        HookSet.Builder b = HookSet.builder();
        Map<String, HostTensor> defaults = new LinkedHashMap<>();
        for (LinearSite s : sites) {
            b.linear(s.module(), TestHooks.lora(SLOT, 1.0));
            defaults.put(TestHooks.aKey(SLOT, s), HostTensor.zeros(0, s.inFeatures()));
            defaults.put(TestHooks.bKey(SLOT, s), HostTensor.zeros(s.outFeatures(), 0));
        }
        template = b.build();
        serving = rt.sharedGraphServing(template, defaults, 16);
        for (int i = 0; i < RANKS.length; i++) {
            String name = "adapter" + i;
            Map<String, HostTensor> t = TestHooks.loraTensors(name, sites, RANKS[i], 100 + i);
            own.add(t);
            // The file holds the slot's input names; the scaling is folded into B.
            Map<String, HostTensor> slot = new LinkedHashMap<>();
            for (LinearSite s : sites) {
                slot.put(TestHooks.aKey(SLOT, s), t.get(TestHooks.aKey(name, s)));
                HostTensor bScaled = t.get(TestHooks.bKey(name, s)).copy();
                for (int j = 0; j < bScaled.data().length; j++) {
                    bScaled.data()[j] *= (float) SCALES[i];
                }
                slot.put(TestHooks.bKey(SLOT, s), bScaled);
            }
            Path f = dir.resolve(name + OnnxAdapterFile.EXTENSION);
            OnnxAdapterFile.write(f, slot, 1, 0);
            adapters.add(serving.load(f));
        }
    }

    @AfterAll
    void tearDown() {
        adapters.forEach(OnnxSharedGraphServing.Adapter::close);
        serving.close();
        rt.close();
        ckpt.close();
    }

    /** The reference: the adapter alone, its tensors fed from the parameter store on its own session. */
    private Logits reference(int i, ForwardRequest base) {
        String name = "adapter" + i;
        own.get(i).forEach((k, v) -> rt.parameters().put(k, v, false));
        try {
            HookSet.Builder b = HookSet.builder();
            for (LinearSite s : sites) {
                b.linear(s.module(), TestHooks.lora(name, SCALES[i]));
            }
            ForwardRequest req = ForwardRequest.start(base.inputIds(), null, b.build(), null, base.lastPositionOnly());
            return rt.forward(req, null);
        } finally {
            own.get(i).keySet().forEach(rt.parameters()::remove);
        }
    }

    private static final int[][] IDS = {{5, 77, 300, 12, 900, 41, 8}};

    @Test
    void adaptersAndBaseAlternatePerRequestOnOneSession() {
        ForwardRequest req = ForwardRequest.start(IDS, null, template, null, false);
        Logits base = rt.forward(ForwardRequest.start(IDS, null, HookSet.EMPTY, null, false), null);
        Logits[] expected = new Logits[RANKS.length];
        for (int i = 0; i < RANKS.length; i++) {
            expected[i] = reference(i, req);
            assertThat(LogitsAssert.maxAbsDiff(expected[i], base.data(), null, 0)).isGreaterThan(1e-2);
        }
        int[] order = {0, -1, 1, 2, 0, -1, 2, 1};
        serving.forward(req, null, null);
        int sessions = rt.sessionCount();
        for (int i : order) {
            Logits got = serving.forward(req, null, i < 0 ? null : adapters.get(i));
            Logits want = i < 0 ? base : expected[i];
            LogitsAssert.assertClose(got, want.data(), null, 0, 1e-5, "request with adapter " + i);
        }
        assertThat(rt.sessionCount()).as("switching adapters builds no session").isEqualTo(sessions);
    }

    @Test
    void generatorDrivesAnAdapterViewWithTheCache() {
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(6).build();
        for (int i = 0; i < RANKS.length; i++) {
            int[][] got = new Generator(serving.runtime(adapters.get(i)), template).generate(IDS, null, cfg).sequences();
            String name = "adapter" + i;
            own.get(i).forEach((k, v) -> rt.parameters().put(k, v, false));
            HookSet.Builder b = HookSet.builder();
            for (LinearSite s : sites) {
                b.linear(s.module(), TestHooks.lora(name, SCALES[i]));
            }
            int[][] want = new Generator(rt, b.build()).generate(IDS, null, cfg).sequences();
            own.get(i).keySet().forEach(rt.parameters()::remove);
            assertThat(got).as("adapter " + i).isEqualTo(want);
        }
        int[][] base = new Generator(serving.runtime(null), template).generate(IDS, null, cfg).sequences();
        assertThat(base).isEqualTo(new Generator(rt, HookSet.EMPTY).generate(IDS, null, cfg).sequences());
    }

    @Test
    void concurrentRequestsWithMixedAdaptersMatchTheSingleThreadedOnes() throws Exception {
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(4).build();
        Map<Integer, int[][]> single = new HashMap<>();
        for (int i = -1; i < RANKS.length; i++) {
            single.put(i, new Generator(serving.runtime(i < 0 ? null : adapters.get(i)), template).generate(IDS, null, cfg).sequences());
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int r = 0; r < 50; r++) {
                        int a = (thread + r) % (RANKS.length + 1) - 1;
                        int[][] got = new Generator(serving.runtime(a < 0 ? null : adapters.get(a)), template)
                                .generate(IDS, null, cfg).sequences();
                        if (!java.util.Arrays.deepEquals(got, single.get(a))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void adapterWithUnknownNamesIsAClearError() {
        Map<String, HostTensor> bad = new LinkedHashMap<>();
        bad.put("lora.other.model.layers.0.self_attn.q_proj.A", HostTensor.zeros(4, 64));
        Path f = dir.resolve("unknown.onnx_adapter");
        OnnxAdapterFile.write(f, bad, 1, 0);
        assertThatThrownBy(() -> serving.load(f)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("does not exist in the graph")
                .hasMessageContaining("lora.other.model.layers.0.self_attn.q_proj.A");
    }

    @Test
    void rankAboveTheLimitAndWrongFixedDimensionAreClearErrors() {
        LinearSite q = sites.get(0);
        Map<String, HostTensor> big = Map.of(TestHooks.aKey(SLOT, q), HostTensor.zeros(32, q.inFeatures()));
        assertThatThrownBy(() -> serving.load(big, "big")).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("rank 32, larger than the 16");
        Map<String, HostTensor> wrong = Map.of(TestHooks.aKey(SLOT, q), HostTensor.zeros(4, q.inFeatures() + 1));
        assertThatThrownBy(() -> serving.load(wrong, "wrong")).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("fixes dimension 1 to " + q.inFeatures());
    }

    @Test
    void inconsistentRanksInsideOneAdapterFailWithAHint() {
        LinearSite q = sites.get(0);
        Map<String, HostTensor> p = Map.of(TestHooks.aKey(SLOT, q), HostTensor.zeros(4, q.inFeatures()),
                TestHooks.bKey(SLOT, q), HostTensor.zeros(q.outFeatures(), 3));
        try (OnnxSharedGraphServing.Adapter a = serving.load(p, "mismatched")) {
            assertThatThrownBy(() -> serving.forward(ForwardRequest.start(IDS, null, template, null, true), null, a))
                    .isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("mismatched");
        }
    }
}
