package ai.peft4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.Capability;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.io.TensorInfo;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The battery every PEFT method plugin passes, derived from Hugging Face PEFT's own suite:
 * fixture adapters reproduce their goldens; saved files match PEFT's; save/load round-trips
 * bit-exactly and independently of the adapter name; disabling gives the base; only adapter
 * parameters get gradients; and, where the method supports them, default init is a no-op,
 * merge equals unmerged, unmerge restores the base and mixed batches equal single runs.
 *
 * <p>Extend it, name the method's fixtures and a fresh config, and every check runs. A check that
 * cannot apply is skipped with its reason (a JUnit assumption), never passed silently: gradients
 * need an engine with {@link Capability#TRAIN}; the merge checks need {@link #supportsMerge()}
 * (and a method without it must refuse {@code merge} with a clear error instead); the no-op check
 * needs {@link #initIsNoOp()}; mixed batches need {@link #supportsMixedBatches()}. Every method
 * must refuse an adapter file with a tensor that matches no module of the base, or without one
 * its config needs, before anything is registered.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractPeftMethodConformanceTest {
    protected static final double LOGIT_TOL = 1e-4;

    /** A fixture adapter: {@code adapters/<base>/<name>}. */
    public record FixtureAdapter(String base, String name) {
        public Path dir() {
            return Fixtures.adapter(base, name);
        }

        @Override
        public String toString() {
            return base + "/" + name;
        }
    }

    @TempDir
    protected Path tmp;

    /** The engine the battery runs on (PyTorch unless overridden). */
    protected abstract Engine engine();

    /**
     * This method's fixture adapters, made by Python PEFT; may be empty for a method with no
     * fixtures, which skips the golden checks (the invariants on fresh adapters still run).
     */
    protected abstract List<FixtureAdapter> fixtureAdapters();

    /** A config for a fresh adapter on the given fixture model. */
    protected abstract PeftConfig freshConfig(String model);

    /** Whether a freshly initialised adapter leaves the output unchanged (LoRA: yes). */
    protected boolean initIsNoOp() {
        return true;
    }

    /** Whether adapters of this method can be merged into the base. */
    protected boolean supportsMerge() {
        return false;
    }

    /** Whether adapters of this method can share a batch with other adapters (row by row). */
    protected boolean supportsMixedBatches() {
        return false;
    }

    /** Fixture models the generic checks run on. */
    protected List<String> models() {
        return List.of("tiny-gpt2", "tiny-llama");
    }

    /**
     * A fixture model an adapter of {@code fa} cannot fit, used to check that loading a foreign
     * adapter fails cleanly; null skips that check. The default picks tiny-llama for a tiny-gpt2
     * adapter and tiny-gpt2 otherwise, which fits methods whose tensors follow the module layout.
     * A method whose tensors depend only on sizes every fixture model shares (a soft prompt is
     * {@code [n, hidden]}, and every tiny model has hidden 64) returns null and checks a size
     * mismatch itself.
     */
    protected String foreignBase(FixtureAdapter fa) {
        return fa.base().equals("tiny-gpt2") ? "tiny-llama" : "tiny-gpt2";
    }

    protected PeftModel open(String model) {
        return PeftModel.open(Fixtures.model(model), engine(), new EngineOptions("cpu", 0));
    }

    /** Skips (not fails) a check that needs a capability this battery's engine lacks. */
    protected void requireCapability(Capability capability) {
        assumeTrue(engine().capabilities().contains(capability),
                "engine '" + engine().name() + "' lacks " + capability + "; check skipped");
    }

    /** Skips a check that needs merging, naming the reason, for methods that cannot merge. */
    protected void requireMerge() {
        assumeTrue(supportsMerge(), getClass().getSimpleName() + ": the method's adapters cannot be merged into the base weights"
                + " (mergeIsRefusedWithAClearError checks the refusal)");
    }

    Stream<FixtureAdapter> fixtures() {
        return fixtureAdapters().stream();
    }

    Stream<String> modelNames() {
        return models().stream();
    }

    /** Sets every parameter of an adapter to random values, so it changes the output. */
    protected static void randomize(PeftModel model, String adapter, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ParameterStore store = model.runtime().parameters();
        for (String key : model.adapter(adapter).stateKeys().values()) {
            HostTensor t = store.get(key);
            float[] d = new float[t.data().length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (rnd.nextGaussian() * 0.5);
            }
            store.update(key, new HostTensor(t.shape(), d));
        }
    }

    private static final int[][] IDS = {{262, 301, 556, 489, 545, 0, 794, 332, 519, 294, 596}, {1249, 1249, 1249, 1215, 322, 623, 545, 220, 676, 17, 300}};
    private static final int[][] MASK = {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}};

    // ---- goldens ------------------------------------------------------------------------------

    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("fixtures")
    void fixtureAdapterReproducesGoldenLogitsLossAndGreedyIds(FixtureAdapter fa) {
        JsonObject golden = Fixtures.golden(fa.dir());
        try (PeftModel model = open(fa.base())) {
            model.loadAdapter(fa.dir(), "golden");
            int prefix = model.hooks().prefixLength();
            for (JsonElement e : golden.getAsJsonArray("forward")) {
                JsonObject c = e.getAsJsonObject();
                int[][] ids = Fixtures.ints2(c.get("input_ids"));
                int[][] mask = Fixtures.ints2(c.get("attention_mask"));
                Logits logits = model.forward(ids, mask);
                LogitsAssert.assertClose(logits, Fixtures.floats(c.get("logits")), mask, prefix, LOGIT_TOL,
                        fa + "/" + c.get("name").getAsString());
            }
            JsonObject loss = golden.getAsJsonObject("loss");
            LossResult r = model.loss(new TrainBatch(Fixtures.ints2(loss.get("input_ids")), null, Fixtures.ints2(loss.get("labels"))));
            assertThat(r.meanLoss()).as(fa + " loss").isCloseTo(loss.get("loss").getAsDouble(), Offset.offset(1e-4));
            for (JsonElement e : golden.getAsJsonArray("generate")) {
                JsonObject c = e.getAsJsonObject();
                for (boolean cache : new boolean[] {true, false}) {
                    GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(c.get("max_new_tokens").getAsInt())
                            .eosTokenId(c.get("eos_token_id").getAsInt()).useCache(cache).build();
                    int[][] seq = model.generate(Fixtures.ints2(c.get("input_ids")), Fixtures.ints2(c.get("attention_mask")), cfg)
                            .sequences();
                    assertThat(seq).as(fa + "/" + c.get("name").getAsString() + " cache=" + cache)
                            .isEqualTo(Fixtures.ints2(c.get("sequences")));
                }
            }
        }
    }

    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("fixtures")
    void savedAdapterMatchesPeftFilesAndRoundTripsBitExactly(FixtureAdapter fa) throws IOException {
        Path out = tmp.resolve("saved-" + fa.name());
        try (PeftModel model = open(fa.base())) {
            model.loadAdapter(fa.dir(), "first");
            model.saveAdapter("first", out);
        }
        JsonObject peft = AdapterFiles.readConfig(fa.dir());
        JsonObject ours = AdapterFiles.readConfig(out);
        for (String key : peft.keySet()) {
            if (key.equals("revision") || key.equals("peft_version")) {
                continue; // provenance, not semantics
            }
            assertThat(ours.has(key)).as(fa + ": adapter_config.json key " + key).isTrue();
            assertThat(normalize(ours.get(key))).as(fa + ": adapter_config.json " + key).isEqualTo(normalize(peft.get(key)));
        }
        try (SafetensorsFile a = SafetensorsFile.open(fa.dir().resolve(AdapterFiles.WEIGHTS));
                SafetensorsFile b = SafetensorsFile.open(out.resolve(AdapterFiles.WEIGHTS))) {
            assertThat(b.tensors().keySet()).as(fa + " tensor keys").isEqualTo(a.tensors().keySet());
            for (String k : a.tensors().keySet()) {
                TensorInfo ia = a.info(k);
                TensorInfo ib = b.info(k);
                assertThat(ib.shape()).as(k).isEqualTo(ia.shape());
                assertThat(ib.dtype()).as(k).isEqualTo(ia.dtype());
                assertThat(b.readHost(k)).as(k + " values").isEqualTo(a.readHost(k));
            }
        }
        // Loading what we saved under another name gives the same model.
        try (PeftModel model = open(fa.base())) {
            model.loadAdapter(out, "other-name");
            Logits reloaded = model.forward(IDS, MASK);
            model.deleteAdapter("other-name");
            model.loadAdapter(fa.dir(), "golden");
            assertThat(model.forward(IDS, MASK).data()).isEqualTo(reloaded.data());
        }
    }

    /**
     * Disabling the loaded adapter gives the base model's golden logits
     * ({@code disabled_vs_base_max_abs} is 0 in PEFT). Skipped for fixtures whose golden does not
     * record it (prompt learning).
     */
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("fixtures")
    void fixtureAdapterDisabledGivesTheBaseGolden(FixtureAdapter fa) {
        JsonObject golden = Fixtures.golden(fa.dir());
        assumeTrue(golden.has("disabled_vs_base_max_abs"), fa + ": the golden records no disabled-adapter check");
        JsonObject base = Fixtures.golden(Fixtures.model(fa.base()));
        try (PeftModel model = open(fa.base())) {
            model.loadAdapter(fa.dir(), "golden");
            try (PeftModel.AdapterScope off = model.disableAdapters()) {
                for (JsonElement e : base.getAsJsonArray("forward")) {
                    JsonObject c = e.getAsJsonObject();
                    int[][] mask = Fixtures.ints2(c.get("attention_mask"));
                    LogitsAssert.assertClose(model.forward(Fixtures.ints2(c.get("input_ids")), mask),
                            Fixtures.floats(c.get("logits")), mask, 0, LOGIT_TOL, fa + " disabled vs base golden");
                }
            }
        }
    }

    /**
     * Merge-and-unload reproduces PEFT's {@code merge_and_unload()}: its logits on the golden's
     * {@code merged} case, and, where PEFT recorded {@code merged_generate_equal}, the unmerged
     * adapter's greedy ids on every golden generation.
     */
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("fixtures")
    void fixtureAdapterMergedReproducesPeftsMergedLogitsAndGreedyIds(FixtureAdapter fa) {
        requireMerge();
        JsonObject golden = Fixtures.golden(fa.dir());
        assumeTrue(golden.has("merged"), fa + ": the golden has no merged block");
        JsonObject merged = golden.getAsJsonObject("merged");
        JsonObject c = Fixtures.forwardCase(golden, merged.get("case").getAsString());
        int[][] ids = Fixtures.ints2(c.get("input_ids"));
        int[][] mask = Fixtures.ints2(c.get("attention_mask"));
        try (PeftModel model = open(fa.base())) {
            model.loadAdapter(fa.dir(), "golden");
            model.mergeAndUnload(true);
            assertThat(model.adapterNames()).isEmpty();
            assertThat(model.hooks().isEmpty()).as("no hooks left after merge_and_unload").isTrue();
            LogitsAssert.assertClose(model.forward(ids, mask), Fixtures.floats(merged.get("logits")), mask, 0, LOGIT_TOL,
                    fa + " merge_and_unload vs PEFT");
            assertThat(merged.get("merged_generate_equal").getAsBoolean())
                    .as(fa + ": PEFT's merged greedy ids equal its unmerged ones").isTrue();
            for (JsonElement e : golden.getAsJsonArray("generate")) {
                JsonObject g = e.getAsJsonObject();
                // with the KV cache only: cached and uncached decoding agree in the unmerged check above
                GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(g.get("max_new_tokens").getAsInt())
                        .eosTokenId(g.get("eos_token_id").getAsInt()).build();
                int[][] seq = model.generate(Fixtures.ints2(g.get("input_ids")), Fixtures.ints2(g.get("attention_mask")), cfg)
                        .sequences();
                assertThat(seq).as(fa + "/" + g.get("name").getAsString() + " merged").isEqualTo(Fixtures.ints2(g.get("sequences")));
            }
        }
    }

    /**
     * The merged model saved as a Hugging Face directory loads back here with the merged model's
     * logits, and saving leaves the model as it was.
     */
    @ParameterizedTest
    @MethodSource("modelNames")
    void savedMergedModelLoadsBackWithTheMergedLogits(String modelName) {
        requireMerge();
        Path out = tmp.resolve("merged-" + modelName);
        float[] adapted;
        float[] inMemory;
        try (PeftModel model = open(modelName)) {
            model.addAdapter("default", freshConfig(modelName));
            randomize(model, "default", 13);
            adapted = model.forward(IDS, MASK).data();
            model.saveMerged(out);
            assertThat(model.mergedAdapters()).isEmpty();
            assertThat(model.forward(IDS, MASK).data()).as("model unchanged by saveMerged").isEqualTo(adapted);
            // The reference is the in-memory merge (merged vs unmerged has its own check): with
            // these random adapters the merged c_attn weights are ~30x the base's, and float32
            // rounding of q/k alone moves one tiny-gpt2 logit by ~1e-4 (float64 reference).
            model.merge("default", true);
            inMemory = model.forward(IDS, MASK).data();
            model.unmerge("default");
        }
        assertThat(out.resolve("config.json")).exists();
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(out.resolve("tokenizer.json")).exists();
        try (PeftModel merged = PeftModel.open(out, engine(), new EngineOptions("cpu", 0))) {
            LogitsAssert.assertClose(merged.forward(IDS, MASK), inMemory, MASK, 0, LOGIT_TOL, modelName + " merged checkpoint");
        }
    }

    /** Lists compare as sets: PEFT writes target_modules sets in no fixed order. */
    private static Object normalize(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonArray()) {
            List<String> items = new ArrayList<>();
            e.getAsJsonArray().forEach(x -> items.add(String.valueOf(normalize(x))));
            items.sort(null);
            return items;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            return e.getAsDouble();
        }
        if (e.isJsonObject()) {
            java.util.TreeMap<String, Object> m = new java.util.TreeMap<>();
            e.getAsJsonObject().entrySet().forEach(x -> m.put(x.getKey(), normalize(x.getValue())));
            return m;
        }
        return e.getAsString();
    }

    // ---- invariants on fresh adapters ---------------------------------------------------------

    @ParameterizedTest
    @MethodSource("modelNames")
    void freshAdapterRoundTripsBitExactlyUnderAnyName(String modelName) {
        Path out = tmp.resolve("fresh-" + modelName);
        float[] before;
        try (PeftModel model = open(modelName)) {
            model.addAdapter("alpha", freshConfig(modelName));
            randomize(model, "alpha", 7);
            before = model.forward(IDS, MASK).data();
            model.saveAdapter("alpha", out);
        }
        try (PeftModel model = open(modelName)) {
            model.loadAdapter(out, "beta");
            assertThat(model.forward(IDS, MASK).data()).isEqualTo(before);
        }
    }

    @ParameterizedTest
    @MethodSource("modelNames")
    void defaultInitIsANoOp(String modelName) {
        assumeTrue(initIsNoOp(), getClass().getSimpleName() + ": a fresh adapter of this method changes the output by design");
        try (PeftModel model = open(modelName)) {
            float[] base = model.forward(IDS, MASK).data();
            model.addAdapter("default", freshConfig(modelName));
            LogitsAssert.assertClose(model.forward(IDS, MASK), base, MASK, 0, 0.0, "fresh adapter is a no-op");
        }
    }

    /**
     * A randomised adapter changes the logits of the real tokens. A soft prompt's extra positions
     * are left out, so the check holds for methods that change the sequence length too.
     */
    @ParameterizedTest
    @MethodSource("modelNames")
    void randomizedAdapterChangesTheOutput(String modelName) {
        try (PeftModel model = open(modelName)) {
            Logits base = model.forward(IDS, MASK);
            model.addAdapter("default", freshConfig(modelName));
            randomize(model, "default", 11);
            Logits changed = model.forward(IDS, MASK);
            int prefix = model.hooks().prefixLength();
            assertThat(changed.positions()).isEqualTo(prefix + base.positions());
            int v = base.vocab();
            double worst = 0;
            for (int b = 0; b < base.batch(); b++) {
                for (int t = 0; t < base.positions(); t++) {
                    if (MASK[b][t] == 0) {
                        continue;
                    }
                    int at = (b * base.positions() + t) * v;
                    int ct = (b * changed.positions() + prefix + t) * v;
                    for (int j = 0; j < v; j++) {
                        worst = Math.max(worst, Math.abs(changed.data()[ct + j] - base.data()[at + j]));
                    }
                }
            }
            assertThat(worst).as("max abs change of the real tokens' logits").isGreaterThan(1e-3);
        }
    }

    @ParameterizedTest
    @MethodSource("modelNames")
    void disabledAdaptersGiveTheBaseAndTheScopeRestores(String modelName) {
        try (PeftModel model = open(modelName)) {
            float[] base = model.forward(IDS, MASK).data();
            model.addAdapter("default", freshConfig(modelName));
            randomize(model, "default", 3);
            float[] adapted = model.forward(IDS, MASK).data();
            try (PeftModel.AdapterScope off = model.disableAdapters()) {
                assertThat(model.forward(IDS, MASK).data()).isEqualTo(base);
            }
            assertThat(model.forward(IDS, MASK).data()).isEqualTo(adapted);
        }
    }

    @ParameterizedTest
    @MethodSource("modelNames")
    void onlyAdapterParametersReceiveGradients(String modelName) {
        requireCapability(Capability.TRAIN);
        try (PeftModel model = open(modelName)) {
            Adapter a = model.addAdapter("default", freshConfig(modelName));
            randomize(model, "default", 5);
            int[][] labels = IDS;
            LossResult r = model.runtime().lossAndGradients(new TrainBatch(IDS, new int[][] {MASK[0], MASK[0]}, labels), model.hooks(), true);
            assertThat(r.gradients().keySet()).containsExactlyInAnyOrderElementsOf(a.stateKeys().values());
            double norm = 0;
            for (HostTensor g : r.gradients().values()) {
                for (float v : g.data()) {
                    norm += v * v;
                }
            }
            assertThat(norm).as("gradient norm").isGreaterThan(0);
        }
    }

    @ParameterizedTest
    @MethodSource("modelNames")
    void mergedEqualsUnmergedAndUnmergeRestoresTheBase(String modelName) {
        requireMerge();
        try (PeftModel model = open(modelName)) {
            float[] base = model.forward(IDS, MASK).data();
            model.addAdapter("default", freshConfig(modelName));
            randomize(model, "default", 9);
            Logits unmerged = model.forward(IDS, MASK);
            model.merge("default", true);
            LogitsAssert.assertClose(model.forward(IDS, MASK), unmerged.data(), MASK, 0, 1e-4, "merged vs unmerged");
            model.unmerge("default");
            try (PeftModel.AdapterScope off = model.disableAdapters()) {
                LogitsAssert.assertClose(model.forward(IDS, MASK), base, MASK, 0, 1e-5, "unmerge restores the base");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("modelNames")
    void mixedBatchRowsEqualTheirSingleAdapterRuns(String modelName) {
        assumeTrue(supportsMixedBatches(), getClass().getSimpleName() + ": the method does not declare mixed-adapter batches");
        try (PeftModel model = open(modelName)) {
            model.addAdapter("a", freshConfig(modelName));
            randomize(model, "a", 21);
            model.addAdapter("b", freshConfig(modelName));
            randomize(model, "b", 22);
            int[][] ids = {IDS[0], IDS[0], IDS[0]};
            String[] rows = {"a", PeftModel.BASE, "b"};
            Logits mixed = model.forward(ids, null, rows);
            // The single-adapter runs use the same batch shape: libtorch's GEMMs differ by ~2e-5 between
            // batch 1 and batch 3, which would hide (or fake) a mixing error at this tolerance.
            int per = mixed.data().length / rows.length;
            for (int r = 0; r < rows.length; r++) {
                float[] single;
                if (rows[r].equals(PeftModel.BASE)) {
                    try (PeftModel.AdapterScope off = model.disableAdapters()) {
                        single = Arrays.copyOfRange(model.forward(ids, null).data(), r * per, (r + 1) * per);
                    }
                } else {
                    model.setActiveAdapters(rows[r]);
                    single = Arrays.copyOfRange(model.forward(ids, null).data(), r * per, (r + 1) * per);
                }
                float[] row = Arrays.copyOfRange(mixed.data(), r * per, (r + 1) * per);
                double worst = 0;
                for (int i = 0; i < single.length; i++) {
                    worst = Math.max(worst, Math.abs(row[i] - single[i]));
                }
                assertThat(worst).as("row " + r + " (" + rows[r] + ")").isLessThanOrEqualTo(1e-5);
            }
        }
    }

    // ---- bad input ----------------------------------------------------------------------------

    @Test
    void unknownPeftTypeListsInstalledMethods() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("unknown"));
        Files.writeString(dir.resolve(AdapterFiles.CONFIG), "{\"peft_type\": \"NO_SUCH_METHOD\"}");
        try (PeftModel model = open(models().get(0))) {
            assertThatThrownBy(() -> model.loadAdapter(dir, "x")).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("NO_SUCH_METHOD").hasMessageContaining("installed:");
            assertThat(model.adapterNames()).isEmpty();
        }
    }

    /** A fixture adapter of this method, or one saved here for methods without Python fixtures. */
    private FixtureAdapter sampleAdapter() {
        return fixtureAdapters().isEmpty() ? new FixtureAdapter(models().get(0), "fresh") : fixtureAdapters().get(0);
    }

    /** The directory of {@link #sampleAdapter()}: the fixture's, or a randomised fresh adapter saved now. */
    private Path sampleAdapterDir(FixtureAdapter fa) {
        if (!fa.name().equals("fresh")) {
            return fa.dir();
        }
        return savedFreshAdapter(fa.base(), "sample-fresh-" + fa.base());
    }

    /** A fresh adapter of this method on a model, randomised and saved. */
    protected Path savedFreshAdapter(String modelName, String dirName) {
        Path dir = tmp.resolve(dirName);
        if (!Files.isDirectory(dir)) {
            try (PeftModel model = open(modelName)) {
                model.addAdapter("default", freshConfig(modelName));
                randomize(model, "default", 17);
                model.saveAdapter("default", dir);
            }
        }
        return dir;
    }

    @Test
    void missingWeightsCorruptWeightsAndForeignAdaptersAreClearErrorsThatLeaveNothingBehind() throws IOException {
        FixtureAdapter fa = sampleAdapter();
        Path dir = sampleAdapterDir(fa);
        Path noWeights = Files.createDirectories(tmp.resolve("noweights"));
        Files.copy(dir.resolve(AdapterFiles.CONFIG), noWeights.resolve(AdapterFiles.CONFIG));
        Path corrupt = Files.createDirectories(tmp.resolve("corrupt"));
        Files.copy(dir.resolve(AdapterFiles.CONFIG), corrupt.resolve(AdapterFiles.CONFIG));
        byte[] bytes = Files.readAllBytes(dir.resolve(AdapterFiles.WEIGHTS));
        Files.write(corrupt.resolve(AdapterFiles.WEIGHTS), Arrays.copyOf(bytes, bytes.length / 2));
        try (PeftModel model = open(fa.base())) {
            int before = model.runtime().parameters().adapterKeys().size();
            assertThatThrownBy(() -> model.loadAdapter(noWeights, "x")).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("adapter_model.safetensors");
            assertThatThrownBy(() -> model.loadAdapter(corrupt, "x")).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("adapter_model.safetensors");
            assertThat(model.adapterNames()).isEmpty();
            assertThat(model.runtime().parameters().adapterKeys()).hasSize(before);
        }
    }

    /** An adapter made for another base model (see {@link #foreignBase}) is refused and leaves nothing behind. */
    @Test
    void anAdapterForAnotherBaseIsAClearErrorThatLeavesNothingBehind() {
        FixtureAdapter fa = sampleAdapter();
        String foreignBase = foreignBase(fa);
        assumeTrue(foreignBase != null, getClass().getSimpleName() + ": this method's adapters fit every fixture model ("
                + fa + "); the method's own tests check a size mismatch");
        Path dir = sampleAdapterDir(fa);
        try (PeftModel model = open(foreignBase)) {
            assertThatThrownBy(() -> model.loadAdapter(dir, "x")).isInstanceOf(Peft4jException.class);
            assertThat(model.adapterNames()).isEmpty();
            assertThat(model.runtime().parameters().adapterKeys()).isEmpty();
        }
    }

    /**
     * An adapter file holding a tensor that matches no module of the base (here: valid tensors for a
     * layer one past the base's last, as an adapter for a deeper model has) is refused, naming that
     * tensor and the base's layer count, and registers nothing. Hugging Face PEFT only warns here.
     */
    @ParameterizedTest
    @MethodSource("modelNames")
    void unexpectedTensorsAreRefusedNamingTheFirstAndTheLayerCount(String modelName) throws IOException {
        Path dir = savedFreshAdapter(modelName, "unexpected-src-" + modelName);
        Map<String, HostTensor> tensors = readAll(dir.resolve(AdapterFiles.WEIGHTS));
        Path bad = Files.createDirectories(tmp.resolve("unexpected-" + modelName));
        Files.copy(dir.resolve(AdapterFiles.CONFIG), bad.resolve(AdapterFiles.CONFIG));
        try (PeftModel model = open(modelName)) {
            int layers = model.runtime().config().numLayers();
            String unexpected = keyForLayer(tensors.keySet().iterator().next(), model, layers);
            assertThat(tensors).doesNotContainKey(unexpected);
            Map<String, HostTensor> withExtra = new java.util.TreeMap<>(tensors);
            withExtra.put(unexpected, tensors.values().iterator().next());
            SafetensorsWriter.write(bad.resolve(AdapterFiles.WEIGHTS), withExtra, Map.of("format", "pt"));

            Set<String> keysBefore = Set.copyOf(model.runtime().parameters().adapterKeys());
            Set<String> trainableBefore = Set.copyOf(model.runtime().parameters().trainableKeys());
            float[] base = model.forward(IDS, MASK).data();
            assertThatThrownBy(() -> model.loadAdapter(bad, "x")).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining(AdapterFiles.WEIGHTS)
                    .hasMessageContaining("'" + unexpected + "'")
                    .hasMessageContaining("matches no module")
                    .hasMessageContaining(layers + " layers");
            assertThat(model.adapterNames()).isEmpty();
            assertThat(model.runtime().parameters().adapterKeys()).isEqualTo(keysBefore);
            assertThat(model.runtime().parameters().trainableKeys()).isEqualTo(trainableBefore);
            assertThat(model.forward(IDS, MASK).data()).as("the model is the base, as before").isEqualTo(base);
            // the same file without the extra tensor loads
            model.loadAdapter(dir, "x");
            assertThat(model.adapterNames()).containsExactly("x");
        }
    }

    /** An adapter file that lacks a tensor its config needs on this base is refused, naming it. */
    @ParameterizedTest
    @MethodSource("modelNames")
    void missingTensorsAreRefusedNamingTheFirst(String modelName) throws IOException {
        Path dir = savedFreshAdapter(modelName, "missing-src-" + modelName);
        Map<String, HostTensor> tensors = new java.util.TreeMap<>(readAll(dir.resolve(AdapterFiles.WEIGHTS)));
        String dropped = tensors.keySet().iterator().next();
        tensors.remove(dropped);
        Path bad = Files.createDirectories(tmp.resolve("missing-" + modelName));
        Files.copy(dir.resolve(AdapterFiles.CONFIG), bad.resolve(AdapterFiles.CONFIG));
        SafetensorsWriter.write(bad.resolve(AdapterFiles.WEIGHTS), tensors, Map.of("format", "pt"));
        try (PeftModel model = open(modelName)) {
            Set<String> keysBefore = Set.copyOf(model.runtime().parameters().adapterKeys());
            assertThatThrownBy(() -> model.loadAdapter(bad, "x")).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("missing tensor '" + dropped + "'")
                    .hasMessageContaining(model.runtime().config().numLayers() + " layers");
            assertThat(model.adapterNames()).isEmpty();
            assertThat(model.runtime().parameters().adapterKeys()).isEqualTo(keysBefore);
        }
    }

    /**
     * The key of a tensor for layer {@code layer} of the base: {@code key} with its layer index
     * replaced, or, for a method whose tensors name no layer (a soft prompt), a LoRA-style key on
     * that layer's first linear module.
     */
    private static String keyForLayer(String key, PeftModel model, int layer) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\.(\\d+)\\.").matcher(key);
        if (m.find()) {
            return key.substring(0, m.start(1)) + layer + key.substring(m.end(1));
        }
        String module = model.runtime().architecture().linearSites(model.runtime().config()).get(0).module();
        return "base_model.model." + module.replaceFirst("\\.0\\.", "." + layer + ".") + ".lora_A.weight";
    }

    /** Whether the declared capability agrees with what the method's adapters say. */
    @Test
    void supportsMergeAgreesWithTheAdapters() {
        try (PeftModel model = open(models().get(0))) {
            Adapter a = model.addAdapter("default", freshConfig(models().get(0)));
            assertThat(a.canMerge()).as("Adapter.canMerge() vs the battery's supportsMerge()").isEqualTo(supportsMerge());
        }
    }

    /**
     * A method that cannot merge refuses {@code merge}, {@code mergeAndUnload} and
     * {@code saveMerged} with a clear error naming the adapter and its type, and the model stays as
     * it was (no merge recorded, the same output, no merged directory written).
     */
    @ParameterizedTest
    @MethodSource("modelNames")
    void mergeIsRefusedWithAClearErrorWhenTheMethodCannotMerge(String modelName) {
        assumeFalse(supportsMerge(), getClass().getSimpleName() + ": the method merges (the merge checks run instead)");
        Path out = tmp.resolve("not-merged-" + modelName);
        try (PeftModel model = open(modelName)) {
            Adapter a = model.addAdapter("default", freshConfig(modelName));
            randomize(model, "default", 23);
            float[] adapted = model.forward(IDS, MASK).data();
            String type = a.config().peftType();
            assertThatThrownBy(() -> model.merge("default", true)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("'default'").hasMessageContaining(type).hasMessageContaining("cannot be merged");
            assertThatThrownBy(() -> model.mergeAndUnload(true)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("'default'").hasMessageContaining(type).hasMessageContaining("cannot be merged");
            assertThatThrownBy(() -> model.saveMerged(out)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("'default'").hasMessageContaining(type).hasMessageContaining("cannot be merged");
            assertThat(model.mergedAdapters()).isEmpty();
            assertThat(model.adapterNames()).containsExactly("default");
            assertThat(model.forward(IDS, MASK).data()).as("output unchanged by the refused merges").isEqualTo(adapted);
        }
        assertThat(out).doesNotExist();
    }

    @Test
    void adapterNamesWithPathSeparatorsAreRefused() {
        try (PeftModel model = open(models().get(0))) {
            for (String bad : new String[] {"../x", "a/b", "a\\b", "", ".."}) {
                assertThatThrownBy(() -> model.addAdapter(bad, freshConfig(models().get(0))))
                        .isInstanceOf(Peft4jException.class).hasMessageContaining("invalid adapter name");
            }
        }
    }

    /** Used by subclasses that check tensors of a saved adapter directly. */
    protected static Map<String, HostTensor> readAll(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            java.util.TreeMap<String, HostTensor> m = new java.util.TreeMap<>();
            for (String k : f.tensors().keySet()) {
                m.put(k, f.readHost(k));
            }
            return m;
        }
    }
}
