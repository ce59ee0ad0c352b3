package ai.peft4j.prompttuning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.io.TensorInfo;
import ai.peft4j.api.peft.AdapterFiles;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import ai.peft4j.engine.pytorch.PtEngine;
import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Prompt-tuning specifics beyond the conformance kit: init, saved files, gradients, training, decoding. */
class PromptTuningAdapterTest {
    @TempDir
    Path tmp;

    private static PeftModel open(String model) {
        return PeftModel.open(Fixtures.model(model), new PtEngine(), new EngineOptions("cpu", 0));
    }

    private static HostTensor read(Path file, String key) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return f.readHost(key);
        }
    }

    private static PromptTuningAdapter add(PeftModel model, String name, PromptTuningConfig cfg) {
        return (PromptTuningAdapter) model.addAdapter(name, cfg);
    }

    // ---- per-row adapter choice -----------------------------------------------------------------

    @Test
    void rowsThatAllNameOneSoftPromptRunAsThatAdaptersOwnBatchWhileMixingStaysRefused() {
        try (PeftModel model = open("tiny-gpt2")) {
            model.setSeed(3);
            add(model, "pt", PromptTuningConfig.builder().numVirtualTokens(4).build());
            int[][] ids = {{5, 6, 7}, {8, 9, 10}};
            GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(4).eosTokenId(1249).build();
            assertThat(model.hooks(new String[] {"pt", "pt"}).prefixLength()).isEqualTo(4);
            int[][] perRow = model.generate(ids, null, cfg, new String[] {"pt", "pt"}).newTokens();
            model.setActiveAdapters("pt");
            assertThat(perRow).isDeepEqualTo(model.generate(ids, null, cfg).newTokens());
            assertThatThrownBy(() -> model.generate(ids, null, cfg, new String[] {"pt", PeftModel.BASE}))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("soft prompts");
        }
    }

    // ---- TEXT init ----------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void textInitReproducesPeftsPromptEmbeddingsExactly(String base) {
        Path dir = Fixtures.adapter(base, "pt-text");
        JsonObject golden = Fixtures.golden(dir);
        int[] textIds = Fixtures.ints(golden.getAsJsonArray("init_text_ids"));
        int[] used = Fixtures.ints(golden.getAsJsonArray("init_ids_used"));
        try (TextTokenizer tok = TextTokenizer.load(Fixtures.model(base))) {
            assertThat(tok.encode(golden.get("init_text").getAsString())).as("init text ids").containsExactly(textIds);
        }
        assertThat(PromptTuningMethod.fitToLength(textIds, 5, "")).containsExactly(used);

        // The fixture's own config, made trainable (PEFT initialises only when not in inference mode).
        PromptTuningConfig saved = PromptTuningConfig.fromJson(AdapterFiles.readConfig(dir), dir.toString());
        PromptTuningConfig fresh = saved.toBuilder().inferenceMode(false).build();
        HostTensor expected = read(dir.resolve(AdapterFiles.WEIGHTS), "prompt_embeddings");
        try (PeftModel model = open(base)) {
            PromptTuningAdapter a = add(model, "text", fresh);
            assertThat(model.runtime().parameters().get(a.promptKey())).isEqualTo(expected);
            // Without a tokenizer name, the base model's tokenizer is used and its name recorded.
            PromptTuningConfig noTokenizer = PromptTuningConfig.builder().numVirtualTokens(5).init(PromptTuningInit.TEXT)
                    .initText(saved.initText()).build();
            PromptTuningAdapter b = add(model, "text2", noTokenizer);
            assertThat(model.runtime().parameters().get(b.promptKey())).isEqualTo(expected);
            assertThat(b.config().tokenizerNameOrPath()).isEqualTo(base);
            // The word-embedding rows of the ids used.
            HostTensor table = model.runtime().parameters().get(model.runtime().architecture().embeddingKey(model.runtime().config()));
            for (int i = 0; i < used.length; i++) {
                assertThat(Arrays.copyOfRange(expected.data(), i * 64, (i + 1) * 64))
                        .containsExactly(Arrays.copyOfRange(table.data(), used[i] * 64, (used[i] + 1) * 64));
            }
        }
    }

    @Test
    void textInitRepeatsShortTextsAndReadsALocalTokenizerByPath() {
        try (PeftModel model = open("tiny-llama");
                TextTokenizer tok = TextTokenizer.load(Fixtures.model("tiny-llama"))) {
            int[] ids = tok.encode("요약:");
            assertThat(ids.length).isLessThan(7);
            PromptTuningConfig cfg = PromptTuningConfig.builder().numVirtualTokens(7).init(PromptTuningInit.TEXT)
                    .initText("요약:").tokenizerNameOrPath(Fixtures.model("tiny-gpt2").toString()).build();
            PromptTuningAdapter a = add(model, "short", cfg);
            HostTensor table = model.runtime().parameters().get("model.embed_tokens.weight");
            HostTensor prompt = model.runtime().parameters().get(a.promptKey());
            for (int i = 0; i < 7; i++) {
                int id = ids[i % ids.length];
                assertThat(Arrays.copyOfRange(prompt.data(), i * 64, (i + 1) * 64))
                        .containsExactly(Arrays.copyOfRange(table.data(), id * 64, (id + 1) * 64));
            }
        }
    }

    /**
     * A TEXT init whose tokenizer_name_or_path names no local tokenizer (a Hub id) is refused: using
     * the base model's tokenizer instead would give other ids than PEFT's AutoTokenizer.
     */
    @Test
    void textInitWithATokenizerThatIsNotLocalIsRefused() {
        PromptTuningConfig cfg = PromptTuningConfig.builder().numVirtualTokens(5).init(PromptTuningInit.TEXT)
                .initText("요약:").tokenizerNameOrPath("some-org/some-tokenizer").build();
        try (PeftModel model = open("tiny-llama")) {
            assertThatThrownBy(() -> add(model, "t", cfg)).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("tokenizer_name_or_path 'some-org/some-tokenizer'")
                    .hasMessageContaining("not a local tokenizer")
                    .hasMessageContaining("tiny-llama");
            assertThat(model.adapterNames()).isEmpty();
            assertThat(model.runtime().parameters().adapterKeys()).isEmpty();
            // naming the base model itself is the base model's tokenizer, as in PEFT
            add(model, "base-named", cfg.toBuilder().tokenizerNameOrPath("tiny-llama").build());
        }
    }

    @Test
    void inferenceModeConfigsSkipTextInitAsPeftDoes() {
        Path dir = Fixtures.adapter("tiny-gpt2", "pt-text");
        PromptTuningConfig saved = PromptTuningConfig.fromJson(AdapterFiles.readConfig(dir), dir.toString());
        try (PeftModel model = open("tiny-gpt2")) {
            PromptTuningAdapter a = add(model, "loaded", saved);
            assertThat(model.runtime().parameters().get(a.promptKey()))
                    .isNotEqualTo(read(dir.resolve(AdapterFiles.WEIGHTS), "prompt_embeddings"));
        }
    }

    // ---- RANDOM and SAMPLE_VOCAB --------------------------------------------------------------

    @Test
    void randomInitIsStandardNormalAndSeeded() {
        PromptTuningConfig cfg = PromptTuningConfig.builder().numVirtualTokens(40).build();
        HostTensor first;
        try (PeftModel model = open("tiny-gpt2")) {
            model.setSeed(42);
            first = model.runtime().parameters().get(add(model, "a", cfg).promptKey());
            HostTensor other = model.runtime().parameters().get(add(model, "b", cfg).promptKey());
            assertThat(other).as("another adapter name draws other values").isNotEqualTo(first);
        }
        double sum = 0;
        double sq = 0;
        for (float v : first.data()) {
            sum += v;
            sq += v * v;
        }
        int n = first.data().length;
        assertThat(first.shape()).containsExactly(40, 64);
        assertThat(sum / n).isCloseTo(0, Offset.offset(0.1));
        assertThat(Math.sqrt(sq / n - (sum / n) * (sum / n))).isCloseTo(1, Offset.offset(0.1));
        try (PeftModel model = open("tiny-gpt2")) {
            model.setSeed(42);
            assertThat(model.runtime().parameters().get(add(model, "a", cfg).promptKey())).isEqualTo(first);
        }
    }

    @Test
    void sampleVocabInitCopiesRowsOfRandomVocabularyIds() {
        PromptTuningConfig cfg = PromptTuningConfig.builder().numVirtualTokens(6).init(PromptTuningInit.SAMPLE_VOCAB).build();
        try (PeftModel model = open("tiny-gpt-neox")) {
            ParameterStore store = model.runtime().parameters();
            HostTensor table = store.get(model.runtime().architecture().embeddingKey(model.runtime().config()));
            assertThat(table.shape()[0]).as("neox pads its vocabulary").isEqualTo(1280);
            HostTensor prompt = store.get(add(model, "v", cfg).promptKey());
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                float[] row = Arrays.copyOfRange(prompt.data(), i * 64, (i + 1) * 64);
                int found = -1;
                for (int id = 0; id < 1280 && found < 0; id++) {
                    if (Arrays.equals(row, Arrays.copyOfRange(table.data(), id * 64, (id + 1) * 64))) {
                        found = id;
                    }
                }
                assertThat(found).as("row " + i + " is a word embedding").isGreaterThanOrEqualTo(0);
                ids.add(found);
            }
            assertThat(ids.size()).as("distinct ids drawn").isGreaterThan(1);
        }
    }

    // ---- files --------------------------------------------------------------------------------

    @Test
    void aFreshAdapterSavesPeftsConfigValuesKeyShapeAndDtype() {
        Path fixture = Fixtures.adapter("tiny-gpt2", "pt-text");
        JsonObject peft = AdapterFiles.readConfig(fixture);
        Path out = tmp.resolve("fresh");
        try (PeftModel model = open("tiny-gpt2")) {
            PromptTuningConfig cfg = PromptTuningConfig.builder().numVirtualTokens(5).init(PromptTuningInit.TEXT)
                    .initText(peft.get("prompt_tuning_init_text").getAsString()).build();
            model.addAdapter("mine", cfg);
            model.saveAdapter("mine", out);
        }
        JsonObject ours = AdapterFiles.readConfig(out);
        assertThat(ours.keySet()).isEqualTo(peft.keySet());
        for (Map.Entry<String, JsonElement> e : peft.entrySet()) {
            assertThat(ours.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        }
        try (SafetensorsFile a = SafetensorsFile.open(fixture.resolve(AdapterFiles.WEIGHTS));
                SafetensorsFile b = SafetensorsFile.open(out.resolve(AdapterFiles.WEIGHTS))) {
            assertThat(b.tensors().keySet()).containsExactly("prompt_embeddings");
            TensorInfo ib = b.info("prompt_embeddings");
            assertThat(ib.shape()).containsExactly(5, 64);
            assertThat(ib.dtype()).isEqualTo(a.info("prompt_embeddings").dtype());
            assertThat(ib.dtype().name()).isEqualTo("F32");
            assertThat(b.readHost("prompt_embeddings")).as("TEXT init equals PEFT's").isEqualTo(a.readHost("prompt_embeddings"));
        }
    }

    @Test
    void aPromptOfAnotherWidthOrTokenDimIsRefusedAndLeavesNothingBehind() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("wide"));
        Path fixture = Fixtures.adapter("tiny-gpt2", "pt-random");
        Files.copy(fixture.resolve(AdapterFiles.CONFIG), dir.resolve(AdapterFiles.CONFIG));
        SafetensorsWriter.write(dir.resolve(AdapterFiles.WEIGHTS), Map.of("prompt_embeddings", HostTensor.zeros(5, 32)),
                Map.of("format", "pt"));
        JsonObject cfg = AdapterFiles.readConfig(fixture);
        cfg.addProperty("token_dim", 32);
        Path dim = Files.createDirectories(tmp.resolve("dim"));
        Files.writeString(dim.resolve(AdapterFiles.CONFIG), AdapterFiles.toJson(cfg));
        Files.copy(fixture.resolve(AdapterFiles.WEIGHTS), dim.resolve(AdapterFiles.WEIGHTS));
        try (PeftModel model = open("tiny-llama")) {
            assertThatThrownBy(() -> model.loadAdapter(dir, "x")).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("prompt_embeddings").hasMessageContaining("[5, 32]").hasMessageContaining("[5, 64]");
            assertThatThrownBy(() -> model.loadAdapter(dim, "x")).isInstanceOf(Peft4jException.class)
                    .hasMessageContaining("token_dim is 32 but the base model's hidden size is 64");
            assertThat(model.adapterNames()).isEmpty();
            assertThat(model.runtime().parameters().adapterKeys()).isEmpty();
        }
    }

    // ---- gradients and training ---------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void onlyThePromptGetsGradientsAndThreeSgdStepsReplayPeftsTrace(String base) {
        Path trace = Fixtures.training(base, "prompt-tuning");
        JsonObject t = Fixtures.json(trace.resolve("trace.json"));
        JsonObject batch = t.getAsJsonObject("batch");
        TrainBatch tb = new TrainBatch(Fixtures.ints2(batch.get("input_ids")), Fixtures.ints2(batch.get("attention_mask")),
                Fixtures.ints2(batch.get("labels")));
        try (PeftModel model = open(base)) {
            PromptTuningAdapter a = (PromptTuningAdapter) model.loadAdapter(trace.resolve("init"), "train");
            ParameterStore store = model.runtime().parameters();
            String embeddingKey = model.runtime().architecture().embeddingKey(model.runtime().config());
            HostTensor tableBefore = store.get(embeddingKey);
            double lr = t.getAsJsonObject("optimizer").get("lr").getAsDouble();
            for (int step = 0; step < 3; step++) {
                LossResult r = model.runtime().lossAndGradients(tb, model.hooks(), true);
                assertThat(r.gradients().keySet()).as("gradient keys").containsExactly(a.promptKey());
                assertThat(r.meanLoss()).as("loss before step " + (step + 1))
                        .isCloseTo(t.getAsJsonArray("losses").get(step).getAsDouble(), Offset.offset(1e-5 * 11));
                HostTensor g = r.gradients().get(a.promptKey());
                float[] mean = g.data().clone();
                double norm = 0;
                for (int i = 0; i < mean.length; i++) {
                    mean[i] /= r.tokens();
                    norm += mean[i] * mean[i];
                }
                assertThat(Math.sqrt(norm)).as("grad norm " + (step + 1))
                        .isCloseTo(t.getAsJsonArray("grad_global_norm").get(step).getAsDouble(), Offset.offset(1e-5));
                if (step == 0) {
                    assertThat(new HostTensor(g.shape(), mean).maxAbsDiff(read(trace.resolve("grads_step1.safetensors"),
                            "prompt_embeddings"))).as("step-1 gradient").isLessThan(1e-6f);
                }
                HostTensor p = store.get(a.promptKey());
                float[] d = p.data().clone();
                for (int i = 0; i < d.length; i++) {
                    d[i] -= (float) (lr * mean[i]);
                }
                store.update(a.promptKey(), new HostTensor(p.shape(), d));
            }
            assertThat(store.get(a.promptKey()).maxAbsDiff(read(trace.resolve("step3").resolve(AdapterFiles.WEIGHTS),
                    "prompt_embeddings"))).as("prompt after 3 steps").isLessThan(1e-5f);
            assertThat(model.loss(tb).meanLoss()).isCloseTo(t.get("loss_after_step3").getAsDouble(), Offset.offset(1e-4));
            assertThat(store.get(embeddingKey)).as("the base embedding table is untouched").isEqualTo(tableBefore);
        }
    }

    // ---- decoding -----------------------------------------------------------------------------

    @Test
    void beamSearchAndSamplingRunWithASoftPromptOnALeftPaddedBatch() {
        Path dir = Fixtures.adapter("tiny-llama", "pt-text");
        JsonObject c = Fixtures.golden(dir).getAsJsonArray("generate").get(1).getAsJsonObject();
        assertThat(c.get("name").getAsString()).isEqualTo("greedy_batch_left_pad");
        int[][] ids = Fixtures.ints2(c.get("input_ids"));
        int[][] mask = Fixtures.ints2(c.get("attention_mask"));
        int[][] expectedGreedy = Fixtures.ints2(c.get("sequences"));
        int eos = c.get("eos_token_id").getAsInt();
        try (PeftModel model = open("tiny-llama")) {
            model.loadAdapter(dir, "pt");
            // One beam is greedy search.
            GenerationConfig oneBeam = GenerationConfig.builder().maxNewTokens(16).eosTokenId(eos).numBeams(1).build();
            assertThat(model.generate(ids, mask, oneBeam).sequences()).isEqualTo(expectedGreedy);

            GenerationConfig beams = GenerationConfig.builder().maxNewTokens(12).eosTokenId(eos).numBeams(3).build();
            int[][] beamSeq = model.generate(ids, mask, beams).sequences();
            assertShape(beamSeq, ids, 12);
            // The unpadded row alone gives the same beams as inside the batch.
            int[][] alone = model.generate(new int[][] {ids[1]}, new int[][] {mask[1]}, beams).sequences();
            assertThat(Arrays.copyOf(beamSeq[1], alone[0].length)).isEqualTo(alone[0]);

            GenerationConfig sampling = GenerationConfig.builder().maxNewTokens(12).eosTokenId(eos).doSample(true)
                    .temperature(0.8).topK(50).topP(0.95).seed(1234).build();
            int[][] s1 = model.generate(ids, mask, sampling).sequences();
            assertShape(s1, ids, 12);
            assertThat(model.generate(ids, mask, sampling).sequences()).as("same seed, same samples").isEqualTo(s1);
            assertThat(model.generate(ids, mask, sampling.toBuilder().useCache(false).build()).sequences())
                    .as("the cached soft prompt equals recomputing it").isEqualTo(s1);
        }
    }

    /**
     * A beam search's first step ranks the same logits as greedy search: with a soft prompt, the
     * pads of a left-padded row take positions (PEFT), so the beam's first token equals PEFT's
     * greedy one only if the padding is kept.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2/pt-random", "tiny-gpt2/pt-text", "tiny-llama/pt-random", "tiny-llama/pt-text"})
    void beamSearchKeepsPeftPositionsOnLeftPaddedRows(String adapter) {
        String[] parts = adapter.split("/");
        Path dir = Fixtures.adapter(parts[0], parts[1]);
        JsonObject c = Fixtures.golden(dir).getAsJsonArray("generate").get(1).getAsJsonObject();
        int[][] ids = Fixtures.ints2(c.get("input_ids"));
        int[][] mask = Fixtures.ints2(c.get("attention_mask"));
        int[][] greedy = Fixtures.ints2(c.get("new_tokens"));
        try (PeftModel model = open(parts[0])) {
            model.loadAdapter(dir, "pt");
            for (int beams : new int[] {2, 4}) {
                GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(1).eosTokenId(c.get("eos_token_id").getAsInt())
                        .numBeams(beams).build();
                int[][] out = model.generate(ids, mask, cfg).newTokens();
                for (int r = 0; r < ids.length; r++) {
                    assertThat(out[r][0]).as(adapter + " row " + r + " beams " + beams).isEqualTo(greedy[r][0]);
                }
            }
        }
    }

    @Test
    void softPromptsAreRefusedInMixedAdapterBatches() {
        try (PeftModel model = open("tiny-gpt2")) {
            model.addAdapter("pt", PromptTuningConfig.builder().numVirtualTokens(3).build());
            int[][] ids = {{262, 301, 556}, {262, 301, 556}};
            assertThatThrownBy(() -> model.forward(ids, null, new String[] {"pt", PeftModel.BASE}))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("soft prompts");
        }
    }

    private static void assertShape(int[][] seq, int[][] prompt, int maxNew) {
        assertThat(seq).hasNumberOfRows(prompt.length);
        for (int i = 0; i < prompt.length; i++) {
            assertThat(seq[i].length).isBetween(prompt[i].length + 1, prompt[i].length + maxNew);
            assertThat(Arrays.copyOf(seq[i], prompt[i].length)).as("prompt kept, no virtual tokens").isEqualTo(prompt[i]);
            for (int j = prompt[i].length; j < seq[i].length; j++) {
                assertThat(seq[i][j]).isBetween(0, 1249);
            }
        }
    }
}
