package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.Generator;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.serving.AdapterServing;
import ai.peft4j.api.serving.ServedAdapter;
import ai.peft4j.engine.onnx.OnnxAdapterFile;
import ai.peft4j.engine.onnx.OnnxDecoderRuntime;
import ai.peft4j.engine.onnx.OnnxEngine;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import ai.peft4j.testkit.LogitsAssert;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA adapters of a {@link PeftModel} served per request from one ONNX Runtime session through
 * {@link AdapterServing#of}: the template is the rsLoRA fixture with rank and alpha patterns
 * (a different scale per site), served beside PEFT's {@code lora-default} (a subset of its
 * targets, another scale) and a random adapter of the template's config. Each request equals a
 * model holding that adapter alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoraOnnxServingTest {
    private static final String MODEL = "tiny-llama";
    private static final String[] NAMES = {"patterns", "default", "random"};
    private static final int[][] IDS = {{262, 301, 556, 489, 545, 0, 794, 332, 519}, {1249, 1249, 1215, 322, 623, 545, 220, 676, 17}};
    private static final int[][] MASK = {{1, 1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 1, 1, 1, 1, 1, 1, 1}};
    private static final GenerationConfig GEN = GenerationConfig.builder().maxNewTokens(6).build();

    @TempDir
    static Path tmp;

    private final Map<String, Path> dirs = new LinkedHashMap<>();
    private PeftModel model;
    private AdapterServing serving;
    /** Per adapter name (null: base), logits and greedy ids of a model holding only that adapter. */
    private final Map<String, float[]> alone = new HashMap<>();
    private final Map<String, int[][]> aloneIds = new HashMap<>();

    @BeforeAll
    void setUp() {
        dirs.put("patterns", Fixtures.adapter(MODEL, "lora-regex-rslora-patterns"));
        dirs.put("default", Fixtures.adapter(MODEL, "lora-default"));
        dirs.put("random", tmp.resolve("random"));
        try (PeftModel m = open()) {
            LoraConfig cfg = new LoraMethod().parseConfig(AdapterFiles.readConfig(dirs.get("patterns")), "patterns");
            m.addAdapter("random", cfg);
            randomize(m, "random", 41);
            m.saveAdapter("random", dirs.get("random"));
        }
        model = open();
        for (String n : NAMES) {
            model.loadAdapter(dirs.get(n), n);
        }
        serving = AdapterServing.of(model, 8);
        for (String n : NAMES) {
            try (PeftModel m = open()) {
                m.loadAdapter(dirs.get(n), n);
                alone.put(n, m.forward(IDS, MASK).data());
                aloneIds.put(n, m.generate(IDS, MASK, GEN).sequences());
            }
        }
        try (PeftModel m = open()) {
            alone.put(null, m.forward(IDS, MASK).data());
            aloneIds.put(null, m.generate(IDS, MASK, GEN).sequences());
        }
    }

    @AfterAll
    void tearDown() {
        serving.close();
        model.close();
    }

    private static PeftModel open() {
        return PeftModel.open(Fixtures.model(MODEL), new OnnxEngine(), new EngineOptions("cpu", 1));
    }

    private static void randomize(PeftModel m, String adapter, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ParameterStore store = m.runtime().parameters();
        for (String key : m.adapter(adapter).stateKeys().values()) {
            HostTensor t = store.get(key);
            float[] d = new float[t.data().length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (rnd.nextGaussian() * 0.2);
            }
            store.update(key, new HostTensor(t.shape(), d));
        }
    }

    private ServedAdapter handle(String name) {
        return name == null ? null : serving.adapter(name);
    }

    private Logits forward(int[][] ids, int[][] mask, ServedAdapter a) {
        return serving.forward(ForwardRequest.start(ids, mask, serving.hooks(), null, false), null, a);
    }

    @Test
    void adaptersAndBaseAlternatePerRequestEachEqualToTheAdapterAlone() {
        String[] order = {"patterns", null, "default", "random", "patterns", null, "random", "default"};
        forward(IDS, MASK, null);
        int sessions = sessionCount();
        for (String n : order) {
            LogitsAssert.assertClose(forward(IDS, MASK, handle(n)), alone.get(n), MASK, 0, 1e-5, "request with " + n);
        }
        assertThat(sessionCount()).as("switching adapters builds no session").isEqualTo(sessions);
        assertThat(LogitsAssert.maxAbsDiff(forward(IDS, MASK, handle("random")), alone.get(null), MASK, 0))
                .as("the random adapter changes the output").isGreaterThan(1e-2);
    }

    private int sessionCount() {
        return ((OnnxDecoderRuntime) model.runtime()).sessionCount();
    }

    @Test
    void servedFixtureAdaptersReproducePeftGoldens() {
        for (String n : new String[] {"patterns", "default"}) {
            JsonObject golden = Fixtures.golden(dirs.get(n));
            for (JsonElement e : golden.getAsJsonArray("forward")) {
                JsonObject c = e.getAsJsonObject();
                int[][] mask = Fixtures.ints2(c.get("attention_mask"));
                LogitsAssert.assertClose(forward(Fixtures.ints2(c.get("input_ids")), mask, handle(n)),
                        Fixtures.floats(c.get("logits")), mask, 0, 1e-4, n + "/" + c.get("name").getAsString());
            }
        }
    }

    @Test
    void generationThroughAdapterViewsIsExact() {
        for (String n : new String[] {"patterns", null, "default", "random"}) {
            int[][] got = new Generator(serving.runtime(handle(n)), serving.hooks()).generate(IDS, MASK, GEN).sequences();
            assertThat(got).as("adapter " + n).isEqualTo(aloneIds.get(n));
        }
    }

    @Test
    void writtenAdapterFilesServeTheSameOutputs() {
        Map<String, Path> files = serving.writeAdapterFiles(tmp.resolve("onnx-adapters"));
        assertThat(files.keySet()).containsExactly(NAMES);
        for (String n : NAMES) {
            assertThat(files.get(n).getFileName().toString()).isEqualTo(n + OnnxAdapterFile.EXTENSION);
            try (ServedAdapter a = serving.load(files.get(n))) {
                LogitsAssert.assertClose(forward(IDS, MASK, a), alone.get(n), MASK, 0, 1e-5, "file " + n);
            }
        }
    }

    @Test
    void eightThreadsOfMixedRequestsEqualTheSingleThreadedOutputs() throws Exception {
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(3).build();
        List<String> choices = new ArrayList<>(Arrays.asList(NAMES));
        choices.add(null);
        Map<String, int[][]> single = new HashMap<>();
        for (String n : choices) {
            single.put(n, new Generator(serving.runtime(handle(n)), serving.hooks()).generate(IDS, MASK, cfg).sequences());
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int r = 0; r < 50; r++) {
                        String n = choices.get((thread + r) % choices.size());
                        int[][] got = new Generator(serving.runtime(handle(n)), serving.hooks()).generate(IDS, MASK, cfg).sequences();
                        if (!Arrays.deepEquals(got, single.get(n))) {
                            return "thread " + thread + " request " + r + " (" + n + ") differs";
                        }
                    }
                    return "ok";
                }));
            }
            for (Future<String> f : results) {
                assertThat(f.get()).isEqualTo("ok");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void adapterTargetingModulesOutsideTheTemplateIsAClearError() {
        try (PeftModel m = open()) {
            m.loadAdapter(dirs.get("default"), "qv");
            m.loadAdapter(Fixtures.adapter(MODEL, "lora-all-linear"), "all");
            assertThatThrownBy(() -> AdapterServing.of(m, 8)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("LoRA adapter 'all' targets modules the template 'qv' does not")
                    .hasMessageContaining("model.layers.0.self_attn.o_proj");
        }
    }

    @Test
    void rankAboveTheServingLimitIsAClearError() {
        try (PeftModel m = open()) {
            m.loadAdapter(dirs.get("default"), "qv");
            m.addAdapter("wide", LoraConfig.builder().r(16).loraAlpha(16).targetModules(List.of("q_proj", "v_proj")).build());
            assertThatThrownBy(() -> AdapterServing.of(m, 8)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("wide").hasMessageContaining("rank 16, larger than the 8");
        }
    }

    @Test
    void adapterFileWithUnknownNamesIsAClearError() {
        Path f = tmp.resolve("unknown" + OnnxAdapterFile.EXTENSION);
        OnnxAdapterFile.write(f, Map.of("adapter.other.model.layers.0.self_attn.q_proj.lora_A", HostTensor.zeros(4, 64)), 1, 0);
        assertThatThrownBy(() -> serving.load(f)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("does not exist in the graph")
                .hasMessageContaining("adapter.other.model.layers.0.self_attn.q_proj.lora_A");
    }

    @Test
    void servingNeedsTheOnnxEngine() {
        try (PeftModel m = PeftModel.open(Fixtures.model(MODEL), new PtEngine(), new EngineOptions("cpu", 1))) {
            m.loadAdapter(dirs.get("default"), "qv");
            assertThatThrownBy(() -> AdapterServing.of(m, 8)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("needs the onnx engine");
        }
    }
}
