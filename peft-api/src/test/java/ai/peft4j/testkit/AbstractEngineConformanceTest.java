package ai.peft4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.GenerationResult;
import ai.peft4j.api.generate.Generator;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.tokenizer.TextTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The battery every {@link Engine} passes: on every fixture model, logits and loss match the
 * Hugging Face goldens within 1e-4 and greedy generation matches the golden ids exactly, with
 * and without the KV cache, left-padded batch included; the transformers 5 configs give the same
 * logits, and the hidden states match their goldens layer by layer. Extend it and return your
 * engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractEngineConformanceTest {
    protected static final double LOGIT_TOL = 1e-4;

    private final Map<String, Checkpoint> checkpoints = new HashMap<>();

    @TempDir
    protected Path tmp;
    private final Map<String, DecoderRuntime> runtimes = new HashMap<>();

    /** The engine under test. */
    protected abstract Engine engine();

    protected synchronized DecoderRuntime runtime(String model) {
        return runtimes.computeIfAbsent(model, m -> {
            Checkpoint c = checkpoints.computeIfAbsent(m, n -> Checkpoint.open(Fixtures.model(n)));
            return engine().load(c, new EngineOptions("cpu", 0));
        });
    }

    @AfterAll
    void closeAll() {
        runtimes.values().forEach(DecoderRuntime::close);
        checkpoints.values().forEach(Checkpoint::close);
    }

    static Stream<String> models() {
        return Fixtures.MODELS.stream();
    }

    @ParameterizedTest
    @MethodSource("models")
    void logitsMatchGoldens(String model) {
        JsonObject golden = Fixtures.golden(Fixtures.model(model));
        for (JsonElement e : golden.getAsJsonArray("forward")) {
            JsonObject c = e.getAsJsonObject();
            int[][] ids = Fixtures.ints2(c.get("input_ids"));
            int[][] mask = Fixtures.ints2(c.get("attention_mask"));
            Logits logits = runtime(model).forward(ForwardRequest.start(ids, mask, HookSet.EMPTY, null, false), null);
            LogitsAssert.assertClose(logits, Fixtures.floats(c.get("logits")), mask, 0, LOGIT_TOL,
                    model + "/" + c.get("name").getAsString());
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void lossMatchesGolden(String model) {
        JsonObject loss = Fixtures.golden(Fixtures.model(model)).getAsJsonObject("loss");
        int[][] ids = Fixtures.ints2(loss.get("input_ids"));
        int[][] labels = Fixtures.ints2(loss.get("labels"));
        LossResult r = runtime(model).lossAndGradients(new TrainBatch(ids, null, labels), HookSet.EMPTY, false);
        assertThat(r.meanLoss()).as(model + " loss").isCloseTo(loss.get("loss").getAsDouble(), org.assertj.core.data.Offset.offset(1e-4));
    }

    @ParameterizedTest
    @MethodSource("models")
    void greedyMatchesGoldenWithAndWithoutCache(String model) {
        JsonObject golden = Fixtures.golden(Fixtures.model(model));
        for (JsonElement e : golden.getAsJsonArray("generate")) {
            JsonObject c = e.getAsJsonObject();
            int[][] ids = Fixtures.ints2(c.get("input_ids"));
            int[][] mask = Fixtures.ints2(c.get("attention_mask"));
            int[][] expected = Fixtures.ints2(c.get("sequences"));
            for (boolean useCache : new boolean[] {true, false}) {
                GenerationConfig cfg = GenerationConfig.builder()
                        .maxNewTokens(c.get("max_new_tokens").getAsInt())
                        .eosTokenId(c.get("eos_token_id").getAsInt())
                        .useCache(useCache)
                        .build();
                GenerationResult r = new Generator(runtime(model), HookSet.EMPTY).generate(ids, mask, cfg);
                assertThat(r.sequences()).as(model + "/" + c.get("name").getAsString() + " cache=" + useCache).isEqualTo(expected);
            }
        }
    }

    @Test
    void stories260kContinuesItsGoldenPrompt() {
        JsonObject golden = Fixtures.golden(Fixtures.model("stories260k"));
        JsonObject gen = golden.getAsJsonArray("generate").get(0).getAsJsonObject();
        try (TextTokenizer tok = TextTokenizer.load(Fixtures.model("stories260k"))) {
            String prompt = gen.has("prompt") ? gen.get("prompt").getAsString() : "Once upon a time";
            int[] ids = tok.encode(prompt);
            assertThat(ids).isEqualTo(Fixtures.ints2(gen.get("input_ids"))[0]);
            GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(gen.get("max_new_tokens").getAsInt())
                    .eosTokenId(gen.get("eos_token_id").getAsInt()).build();
            GenerationResult r = new Generator(runtime("stories260k"), HookSet.EMPTY).generate(new int[][] {ids}, null, cfg);
            assertThat(r.sequences()[0]).isEqualTo(Fixtures.ints2(gen.get("sequences"))[0]);
            String text = tok.decode(r.sequences()[0], true);
            assertThat(text).startsWith("Once upon a time, there was a little girl named Lily.");
        }
    }

    @Test
    void sequenceLongerThanContextIsAClearError() {
        int[][] ids = new int[1][129];
        assertThatThrownBy(() -> runtime("tiny-gpt2").forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, false), null))
                .isInstanceOf(Peft4jException.class)
                .hasMessageContaining("exceeds the model's context of 128");
    }

    // ---- transformers 5 configs and hidden states ----------------------------------------------

    /**
     * Each model with its config as transformers 5 writes it ({@code configs-transformers5/}:
     * {@code rope_parameters} and friends) reproduces the same logit goldens.
     */
    @ParameterizedTest
    @MethodSource("models")
    void transformers5ConfigsReproduceTheLogitGoldens(String model) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("t5-" + model));
        try (Stream<Path> files = Files.list(Fixtures.model(model))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dir.resolve(f.getFileName().toString()));
            }
        }
        Files.copy(Fixtures.root().resolve("configs-transformers5").resolve(model).resolve("config.json"), dir.resolve("config.json"),
                StandardCopyOption.REPLACE_EXISTING);
        JsonObject golden = Fixtures.golden(Fixtures.model(model));
        try (Checkpoint c = Checkpoint.open(dir); DecoderRuntime rt = engine().load(c, new EngineOptions("cpu", 0))) {
            assertThat(c.config().json().get("transformers_version").getAsString()).startsWith("5.");
            for (JsonElement e : golden.getAsJsonArray("forward")) {
                JsonObject fc = e.getAsJsonObject();
                int[][] mask = Fixtures.ints2(fc.get("attention_mask"));
                Logits logits = rt.forward(ForwardRequest.start(Fixtures.ints2(fc.get("input_ids")), mask, HookSet.EMPTY, null, false), null);
                LogitsAssert.assertClose(logits, Fixtures.floats(fc.get("logits")), mask, 0, LOGIT_TOL,
                        model + " (transformers 5 config)/" + fc.get("name").getAsString());
            }
        }
    }

    static Stream<String> modelsWithHiddenStates() {
        return Fixtures.MODELS.stream().filter(m -> Fixtures.golden(Fixtures.model(m)).has("hidden_states"));
    }

    /**
     * The {@code hidden_states} goldens, layer by layer, through the engine's own forward: the
     * model is cut to its first k layers and given an untied identity head (the first
     * {@code hidden} rows of the identity, zero bias), so the first {@code hidden} logits are the
     * final norm of the residual stream after layer k. That must equal the final norm applied to
     * the golden after layer k (and, for the last layer, the golden after the final norm itself).
     * This localises an error to a layer, where the logit goldens only say that something differs.
     */
    @ParameterizedTest
    @MethodSource("modelsWithHiddenStates")
    void hiddenStatesMatchTheGoldensLayerByLayer(String model) throws IOException {
        JsonObject golden = Fixtures.golden(Fixtures.model(model));
        JsonObject hs = golden.getAsJsonObject("hidden_states");
        JsonObject fc = Fixtures.forwardCase(golden, hs.get("case").getAsString());
        int[][] ids = Fixtures.ints2(fc.get("input_ids"));
        com.google.gson.JsonArray values = hs.getAsJsonArray("values");
        try (Checkpoint base = Checkpoint.open(Fixtures.model(model))) {
            DecoderConfig cfg = base.config();
            int layers = cfg.numLayers();
            int h = cfg.hiddenSize();
            assertThat(values.size()).as("embeddings, after each layer but the last, after the final norm").isEqualTo(layers + 1);
            for (int k = 1; k <= layers; k++) {
                Path dir = truncatedWithIdentityHead(base, k, tmp.resolve("hidden-" + model + "-" + k));
                float[] expected;
                if (k == layers) {
                    expected = Fixtures.floats(values.get(layers)); // HF's last entry is already the final norm's output
                } else {
                    expected = finalNorm(base, Fixtures.floats(values.get(k)), h, cfg.normEps());
                }
                try (Checkpoint c = Checkpoint.open(dir); DecoderRuntime rt = engine().load(c, new EngineOptions("cpu", 0))) {
                    Logits logits = rt.forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, false), null);
                    int t = logits.positions();
                    double worst = 0;
                    for (int p = 0; p < t; p++) {
                        for (int j = 0; j < h; j++) {
                            worst = Math.max(worst, Math.abs(logits.data()[p * logits.vocab() + j] - expected[p * h + j]));
                        }
                    }
                    assertThat(worst).as(model + ": hidden state after layer " + (k - 1) + (k == layers ? " and the final norm" : "")
                            + ", max abs difference").isLessThanOrEqualTo(LOGIT_TOL);
                }
            }
        }
    }

    /**
     * A copy of {@code base} cut to {@code k} layers, untied, with a head whose logit j is hidden
     * unit j: exactly the tensors the cut config needs, in float32.
     */
    private static Path truncatedWithIdentityHead(Checkpoint base, int k, Path dir) throws IOException {
        Files.createDirectories(dir);
        JsonObject json = base.config().json().deepCopy();
        for (String key : new String[] {"num_hidden_layers", "n_layer"}) {
            if (json.has(key)) {
                json.addProperty(key, k);
            }
        }
        json.addProperty("tie_word_embeddings", false);
        Files.writeString(dir.resolve("config.json"), json.toString());
        DecoderConfig cut = DecoderConfig.parse(json.toString(), dir.resolve("config.json").toString());
        Architecture arch = base.architecture();
        int v = cut.vocabSize();
        int h = cut.hiddenSize();
        String embedding = arch.embeddingKey(cut);
        String head = "lm_head.weight"; // GPT-2 reads an untied head under this name
        Map<String, HostTensor> tensors = new java.util.TreeMap<>();
        for (Map.Entry<String, long[]> e : arch.weightShapes(cut).entrySet()) {
            long[] shape = e.getValue();
            if (!e.getKey().equals(embedding) && Arrays.equals(shape, new long[] {v, h})) {
                head = e.getKey();
            } else if (Arrays.equals(shape, new long[] {v})) {
                tensors.put(e.getKey(), HostTensor.zeros(v)); // the head's bias
            } else {
                tensors.put(e.getKey(), base.readHost(e.getKey()));
            }
        }
        HostTensor identity = HostTensor.zeros(v, h);
        for (int j = 0; j < h; j++) {
            identity.data()[j * h + j] = 1f;
        }
        tensors.put(head, identity);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        return dir;
    }

    /**
     * The model's final norm on {@code [t, hidden]} values, from its weights: a layer norm where
     * the final norm has a bias (GPT-2, GPT-J, GPT-NeoX), an RMS norm otherwise (Llama, Qwen2). The
     * final norm is the one {@code [hidden]} weight outside every layer.
     */
    private static float[] finalNorm(Checkpoint base, float[] x, int h, double eps) {
        HostTensor weight = null;
        HostTensor bias = null;
        for (Map.Entry<String, long[]> e : base.architecture().weightShapes(base.config()).entrySet()) {
            if (Arrays.equals(e.getValue(), new long[] {h}) && !e.getKey().matches(".*\\.\\d+\\..*")) {
                if (e.getKey().endsWith("bias")) {
                    bias = base.readHost(e.getKey());
                } else {
                    weight = base.readHost(e.getKey());
                }
            }
        }
        assertThat(weight).as("the final norm's weight").isNotNull();
        float[] out = new float[x.length];
        for (int p = 0; p < x.length / h; p++) {
            double mean = 0;
            if (bias != null) {
                for (int j = 0; j < h; j++) {
                    mean += x[p * h + j];
                }
                mean /= h;
            }
            double sq = 0;
            for (int j = 0; j < h; j++) {
                double d = x[p * h + j] - mean;
                sq += d * d;
            }
            double inv = 1 / Math.sqrt(sq / h + eps);
            for (int j = 0; j < h; j++) {
                out[p * h + j] = (float) ((x[p * h + j] - mean) * inv * weight.data()[j] + (bias == null ? 0 : bias.data()[j]));
            }
        }
        return out;
    }
}
