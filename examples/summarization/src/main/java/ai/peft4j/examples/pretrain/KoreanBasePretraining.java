package ai.peft4j.examples.pretrain;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.TokenizedExample;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.full.ModelFactory;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import ai.peft4j.api.train.Checkpoints;
import ai.peft4j.api.train.LearningRateSchedule;
import ai.peft4j.api.train.Trainer;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.api.train.TrainingResult;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * The reproducible recipe for the demo's embedded Korean base model: train a byte-level BPE
 * tokenizer on the corpus, initialise a small Llama-architecture decoder, pretrain it with the
 * shared {@link Trainer} and the {@code full} method on packed sequences of the corpus, and save
 * it as a Hugging Face checkpoint (weights stored as float16 to keep the file small).
 *
 * <p>The corpus is plain text lines: movie reviews and synopses (CC0), chatbot questions and
 * answers (MIT), and the documents (not the summaries) of the summarization training split.
 *
 * <pre>{@code
 * KoreanBasePretraining recipe = new KoreanBasePretraining(engine, EngineOptions.defaults());
 * recipe.run(recipe.readCorpus(corpusDir, trainCsv), outDir, listener);
 * }</pre>
 */
public final class KoreanBasePretraining {
    /** Where a run keeps its checkpoints, inside the output directory, until it finishes. */
    public static final String CHECKPOINTS = ".pretrain-checkpoints";
    private final Engine engine;
    private final EngineOptions options;
    private int vocabSize = 4096;
    private int hidden = 256;
    private int layers = 4;
    private int heads = 4;
    private int intermediate = 768;
    private int context = 512;
    private int sequenceLength = 256;
    private int batchSize = 16;
    private long steps = 2000;
    private double learningRate = 2e-3;
    private long seed = 20241126;
    private int documentRepeat = 1;
    private int taskPairs;
    private long taskSeed = 7_300_001L;
    private int taskPairsDropped;
    private int checkpointEvery = 250;
    private boolean resume;

    public KoreanBasePretraining(Engine engine, EngineOptions options) {
        this.engine = engine;
        this.options = options;
    }

    public KoreanBasePretraining setVocabSize(int v) {
        vocabSize = v;
        return this;
    }

    /** Hidden size, layers, attention heads and MLP width of the Llama-style decoder. */
    public KoreanBasePretraining setShape(int hiddenSize, int numLayers, int numHeads, int intermediateSize) {
        hidden = hiddenSize;
        layers = numLayers;
        heads = numHeads;
        intermediate = intermediateSize;
        return this;
    }

    public KoreanBasePretraining setSteps(long s) {
        steps = s;
        return this;
    }

    public KoreanBasePretraining setBatch(int batch, int seqLen) {
        batchSize = batch;
        sequenceLength = seqLen;
        return this;
    }

    public KoreanBasePretraining setLearningRate(double lr) {
        learningRate = lr;
        return this;
    }

    /**
     * How many times each summarization training document enters the corpus (default 1). Weighting
     * the report-style documents up gives the small model more of the domain it will summarise.
     */
    public KoreanBasePretraining setDocumentRepeat(int times) {
        if (times < 1) {
            throw new IllegalArgumentException("document repeat must be at least 1, got " + times);
        }
        documentRepeat = times;
        return this;
    }

    /**
     * Adds {@code n} document / one-line-summary pairs in natural surface forms to the corpus
     * ({@link NaturalTaskText}; default 0), generated with {@code seed} and disjoint from the demo's
     * train and test splits: the base learns summarising from its pretraining text, as real GPTs do.
     */
    public KoreanBasePretraining setTaskPairs(int n, long seed) {
        if (n < 0) {
            throw new ai.peft4j.api.Peft4jException("task pairs must be >= 0, got " + n);
        }
        taskPairs = n;
        taskSeed = seed;
        return this;
    }

    /** Task pairs the last {@link #readCorpus} dropped because they overlap the demo's splits. */
    public int taskPairsDropped() {
        return taskPairsDropped;
    }

    /**
     * Writes a resumable checkpoint every {@code steps} optimizer steps into
     * {@value #CHECKPOINTS} inside the output directory (default 250; 0 turns checkpoints off). A
     * finished run deletes them; see {@link #setResume} for an interrupted one.
     */
    public KoreanBasePretraining setCheckpointEvery(int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + steps);
        }
        checkpointEvery = steps;
        return this;
    }

    /**
     * Whether {@link #run} continues the interrupted run whose checkpoints are in the output
     * directory (default false: such checkpoints make {@code run} refuse, so that nothing is lost
     * by accident; {@link #deleteCheckpoints} clears them to start over).
     */
    public KoreanBasePretraining setResume(boolean resumeInterrupted) {
        resume = resumeInterrupted;
        return this;
    }

    /** The newest checkpoint an interrupted run left in {@code out}, if any. */
    public static Optional<Path> interruptedRun(Path out) {
        Path dir = out.resolve(CHECKPOINTS);
        if (!Files.isDirectory(dir) || !Files.exists(out.resolve("tokenizer.json")) || !Files.exists(out.resolve("config.json"))) {
            return Optional.empty();
        }
        return Checkpoints.latest(dir);
    }

    /** Deletes the checkpoints an interrupted run left in {@code out}, so the next run starts over. */
    public static void deleteCheckpoints(Path out) throws IOException {
        Path dir = out.resolve(CHECKPOINTS);
        if (Files.exists(dir)) {
            deleteTree(dir);
        }
    }

    public KoreanBasePretraining setSeed(long s) {
        seed = s;
        return this;
    }

    /**
     * Reads the corpus lines: every {@code .txt} line, the Q and A columns of {@code .csv} files, the
     * train documents (each {@link #setDocumentRepeat} times; never their summaries), and the
     * {@link #setTaskPairs task pairs} in natural forms.
     */
    public List<String> readCorpus(Path corpusDir, Path summarizationTrainCsv) throws IOException {
        List<String> lines = new ArrayList<>();
        try (var files = Files.list(corpusDir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".txt")) {
                    for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                        if (!l.isBlank()) {
                            lines.add(l.strip());
                        }
                    }
                } else if (name.endsWith(".csv")) {
                    for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build()
                            .parse(Files.newBufferedReader(f, StandardCharsets.UTF_8))) {
                        for (String col : new String[] {"Q", "A"}) {
                            if (r.isMapped(col) && !r.get(col).isBlank()) {
                                lines.add(r.get(col).strip());
                            }
                        }
                    }
                }
            }
        }
        if (summarizationTrainCsv != null) {
            List<String> documents = new ArrayList<>();
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build()
                    .parse(Files.newBufferedReader(summarizationTrainCsv, StandardCharsets.UTF_8))) {
                documents.add(r.get("text").strip());
            }
            for (int i = 0; i < documentRepeat; i++) {
                lines.addAll(documents);
            }
        }
        if (taskPairs > 0) {
            NaturalTaskText task = NaturalTaskText.generate(taskPairs, taskSeed);
            taskPairsDropped = task.dropped();
            lines.addAll(task.lines());
        }
        if (lines.isEmpty()) {
            throw new Peft4jException(corpusDir + ": no corpus lines found (.txt lines or Q/A columns of .csv files)");
        }
        return lines;
    }

    /** The decoder's {@code config.json}. */
    JsonObject llamaConfig(int vocab, int eos) {
        JsonObject c = new JsonObject();
        JsonArray archs = new JsonArray();
        archs.add("LlamaForCausalLM");
        c.add("architectures", archs);
        c.addProperty("model_type", "llama");
        c.addProperty("vocab_size", vocab);
        c.addProperty("hidden_size", hidden);
        c.addProperty("intermediate_size", intermediate);
        c.addProperty("num_hidden_layers", layers);
        c.addProperty("num_attention_heads", heads);
        c.addProperty("num_key_value_heads", heads);
        c.addProperty("head_dim", hidden / heads);
        c.addProperty("max_position_embeddings", context);
        c.addProperty("hidden_act", "silu");
        c.addProperty("rms_norm_eps", 1e-5);
        c.addProperty("rope_theta", 10000.0);
        c.addProperty("tie_word_embeddings", true);
        c.addProperty("attention_bias", false);
        c.addProperty("mlp_bias", false);
        c.addProperty("initializer_range", 0.02);
        c.addProperty("bos_token_id", eos);
        c.addProperty("eos_token_id", eos);
        c.addProperty("dtype", "float32");
        return c;
    }

    /** Concatenates the encoded lines with EOS between them and cuts the stream into equal windows. */
    static List<TokenizedExample> pack(List<int[]> encoded, int eos, int length) {
        List<TokenizedExample> out = new ArrayList<>();
        int[] window = new int[length];
        int n = 0;
        for (int[] ids : encoded) {
            for (int i = 0; i <= ids.length; i++) {
                window[n++] = i < ids.length ? ids[i] : eos;
                if (n == length) {
                    out.add(TokenizedExample.ofSequence(window.clone()));
                    n = 0;
                }
            }
        }
        return out;
    }

    /**
     * Runs the whole recipe into {@code out} and returns the training result. With
     * {@link #setResume} and the checkpoints of an interrupted run in {@code out}
     * ({@link #interruptedRun}), it continues that run with the tokenizer and initial weights
     * already there, and ends with the same model an uninterrupted run makes.
     *
     * @throws Peft4jException if {@code out} holds an interrupted run and resuming was not asked
     *     for, or the interrupted run had another model shape or training settings
     */
    public TrainingResult run(List<String> corpus, Path out, TrainingListener listener) throws IOException {
        Files.createDirectories(out);
        Optional<Path> resumeFrom = interruptedRun(out);
        if (resumeFrom.isPresent() && !resume) {
            throw new Peft4jException(out + " holds the checkpoints of an interrupted pretraining run (" + resumeFrom.get().getFileName()
                    + "): continue it with --resume, or delete them and start over with --fresh");
        }
        int eos;
        if (resumeFrom.isPresent()) {
            eos = checkSameShape(out);
        } else {
            ByteLevelBpeTrainer bpe = new ByteLevelBpeTrainer(vocabSize);
            corpus.forEach(bpe::add);
            bpe.train();
            bpe.save(out, context);
            eos = bpe.eosId();
            ModelFactory.writeRandom(out, llamaConfig(bpe.size(), eos), seed);
            writeGenerationConfig(out, eos);
        }
        List<int[]> encoded = new ArrayList<>(corpus.size());
        try (TextTokenizer tok = TextTokenizer.load(out)) {
            for (String line : corpus) {
                encoded.add(tok.encode(line, false));
            }
        }
        java.util.Collections.shuffle(encoded, new java.util.Random(seed));
        List<TokenizedExample> data = pack(encoded, eos, sequenceLength);
        Path checkpoints = out.resolve(CHECKPOINTS);
        TrainingResult result;
        try (PeftModel model = PeftModel.open(out, engine, options)) {
            model.setSeed(seed);
            model.addAdapter("base", PeftMethods.byName("full").parseConfig(new JsonObject(), "pretraining"));
            TrainingConfig.Builder config = TrainingConfig.builder().optAdapterName("base").optLearningRate(learningRate)
                    .optSchedule(LearningRateSchedule.Type.COSINE).optWarmupSteps(Math.max(1, steps / 20)).optWeightDecay(0.01)
                    .optBatchSize(batchSize).optMaxSteps(steps).optEpochs(Integer.MAX_VALUE / 2).optMaxGradNorm(1.0).optSeed(seed)
                    .optPadTokenId(eos).optSaveFinal(false);
            if (checkpointEvery > 0) {
                config.optOutputDir(checkpoints).optCheckpointEverySteps(checkpointEvery).optKeepCheckpoints(2);
            }
            Trainer trainer = new Trainer(model, config.build());
            if (listener != null) {
                trainer.addListener(listener);
            }
            result = resumeFrom.isPresent() ? trainer.resume(resumeFrom.get(), data, null) : trainer.train(data, null);
            Path trained = Files.createTempDirectory(out.toAbsolutePath().getParent(), ".pretrained-");
            model.saveAdapter("base", trained);
            storeAsFloat16(trained.resolve("model.safetensors"), out.resolve("model.safetensors"));
            deleteTree(trained);
        }
        Path cfg = out.resolve("config.json");
        JsonObject json = JsonParser.parseString(Files.readString(cfg, StandardCharsets.UTF_8)).getAsJsonObject();
        json.addProperty("dtype", "float16");
        AtomicFiles.writeString(cfg, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json) + "\n");
        if (Files.exists(checkpoints)) {
            deleteTree(checkpoints);
        }
        return result;
    }

    /**
     * The EOS id of the interrupted run in {@code out}, after checking that its model has the shape
     * this recipe asks for: resuming with other flags would silently train another model.
     */
    private int checkSameShape(Path out) throws IOException {
        JsonObject saved = JsonParser.parseString(Files.readString(out.resolve("config.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
        JsonObject wanted = llamaConfig(0, 0);
        List<String> differ = new ArrayList<>();
        for (String key : List.of("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "max_position_embeddings")) {
            if (!saved.has(key) || saved.get(key).getAsInt() != wanted.get(key).getAsInt()) {
                differ.add(key + " " + (saved.has(key) ? saved.get(key).getAsInt() : "missing") + " (asked " + wanted.get(key).getAsInt()
                        + ")");
            }
        }
        if (!differ.isEmpty()) {
            throw new Peft4jException(out + " holds an interrupted pretraining run of another shape: " + String.join(", ", differ)
                    + "; resume it with its settings, or start over with --fresh");
        }
        return saved.get("eos_token_id").getAsInt();
    }

    private static void writeGenerationConfig(Path out, int eos) {
        JsonObject g = new JsonObject();
        g.addProperty("bos_token_id", eos);
        g.addProperty("eos_token_id", eos);
        g.addProperty("pad_token_id", eos);
        AtomicFiles.writeString(out.resolve("generation_config.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(g) + "\n");
    }

    private static void storeAsFloat16(Path from, Path to) {
        Map<String, HostTensor> tensors = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(from)) {
            for (String k : f.tensors().keySet()) {
                tensors.put(k, f.readHost(k));
            }
        }
        SafetensorsWriter.write(to, tensors, Map.of("format", "pt"), DType.F16);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
