package ai.peft4j.examples.summarization;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.Example;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import ai.peft4j.examples.train.FineTuneJob;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The main job: Korean one-line summarization on a laptop. Scores the base model zero-shot,
 * fine-tunes a LoRA adapter and a prompt-tuning adapter with the shared trainer, scores both
 * with the competition's ROUGE, saves the adapters in PEFT format, and re-scores the LoRA
 * adapter on ONNX Runtime when that engine is installed.
 *
 * <pre>{@code
 * new KoreanSummarizationDemo(modelDir, outDir, Engines.byName("pytorch"), EngineOptions.defaults())
 *     .run(SummarizationData.bundledTrain(), SummarizationData.bundledTest(), System.out, name -> listener);
 * }</pre>
 */
public final class KoreanSummarizationDemo {
    /**
     * LoRA on every linear layer. The competition's baseline (r=8 on q_proj and v_proj of a 6B
     * KoGPT) learns too little on a 2.4M-parameter base in a few minutes; every linear layer at
     * r=16 does (see README).
     */
    public static final String LORA_CONFIG = "{\"r\": 16, \"lora_alpha\": 32, \"lora_dropout\": 0.0, \"target_modules\": \"all-linear\"}";
    /** The instruction the soft prompt starts from (PEFT's TEXT init repeats it to fill the prompt). */
    public static final String PROMPT_TUNING_INIT_TEXT = "다음 문서를 한 줄로 요약하세요:";

    /** PEFT's prompt-tuning config: {@code virtualTokens} soft tokens initialised from {@code initText}. */
    public static String promptTuningConfig(int virtualTokens, String initText) {
        // Written out rather than serialised so the demo prints it in PEFT's own key order and spacing.
        return "{\"num_virtual_tokens\": " + virtualTokens + ", \"prompt_tuning_init\": \"TEXT\", \"prompt_tuning_init_text\": "
                + new com.google.gson.GsonBuilder().disableHtmlEscaping().create().toJson(initText) + "}";
    }

    private final Path modelDir;
    private final Path outDir;
    private final Engine engine;
    private final EngineOptions options;
    private int epochs = 3;
    private int promptTuningEpochs = 6;
    private Set<String> methods = Set.of("lora", "prompt-tuning");
    private int virtualTokens = 20;
    private String initText = PROMPT_TUNING_INIT_TEXT;
    private int batchSize = 8;
    private double loraLearningRate = 5e-3;
    private double promptLearningRate = 0.3;
    private int maxNewTokens = 48;
    private long seed = 42;

    public KoreanSummarizationDemo(Path modelDir, Path outDir, Engine engine, EngineOptions options) {
        this.modelDir = modelDir;
        this.outDir = outDir;
        this.engine = engine;
        this.options = options;
    }

    public KoreanSummarizationDemo setEpochs(int epochs) {
        this.epochs = epochs;
        return this;
    }

    /** Epochs for the prompt-tuning adapter, which learns more slowly than LoRA. */
    public KoreanSummarizationDemo setPromptTuningEpochs(int epochs) {
        this.promptTuningEpochs = epochs;
        return this;
    }

    /** The soft prompt's length in virtual tokens (default 20). */
    public KoreanSummarizationDemo setPromptTuningVirtualTokens(int tokens) {
        this.virtualTokens = tokens;
        return this;
    }

    /** The text the soft prompt is initialised from (default {@link #PROMPT_TUNING_INIT_TEXT}). */
    public KoreanSummarizationDemo setPromptTuningInitText(String text) {
        this.initText = text;
        return this;
    }

    /** Which adapters to train: any of {@code lora} and {@code prompt-tuning} (default both). */
    public KoreanSummarizationDemo setMethods(Set<String> methods) {
        for (String m : methods) {
            if (!m.equals("lora") && !m.equals("prompt-tuning")) {
                throw new Peft4jException("unknown demo method '" + m + "'; choose from lora, prompt-tuning");
            }
        }
        this.methods = Set.copyOf(methods);
        return this;
    }

    public KoreanSummarizationDemo setLearningRates(double lora, double promptTuning) {
        this.loraLearningRate = lora;
        this.promptLearningRate = promptTuning;
        return this;
    }

    public KoreanSummarizationDemo setSeed(long seed) {
        this.seed = seed;
        return this;
    }

    /** One row of the result table. */
    public record Row(String method, long trainableParameters, double trainSeconds, RougeScores scores, List<String> predictions) {}

    /** What the demo measured. */
    public record Result(List<Row> rows, List<SummarizationExample> test, Map<String, Path> adapters, Row onnx, int onnxAgreement) {}

    /**
     * Runs the demo and prints its progress and result table.
     *
     * @param progress a training listener per method name (e.g. a progress bar), or null
     */
    public Result run(List<SummarizationExample> train, List<SummarizationExample> test, PrintStream out,
            Function<String, TrainingListener> progress) {
        KoreanRouge rouge = new KoreanRouge();
        List<Example> trainExamples = SummarizationEval.trainingExamples(train, Summarizer.DEFAULT_TEMPLATE);
        List<Row> rows = new ArrayList<>();
        Map<String, Path> saved = new LinkedHashMap<>();
        Row loraRow = null;
        try (PeftModel model = PeftModel.open(modelDir, engine, options); TextTokenizer tok = TextTokenizer.load(modelDir)) {
            model.setSeed(seed);
            int eos = eosId(model);
            out.printf(Locale.ROOT, "base model: %s (%s, %,d parameters), engine %s on %s%n", modelDir.getFileName(),
                    model.runtime().config().modelType(), model.runtime().checkpoint().parameterCount(), engine.name(),
                    model.runtime().device());
            out.printf(Locale.ROOT, "data: %,d training and %,d test documents%n%n", train.size(), test.size());

            out.println("[1/4] zero-shot base model on the test split, hand-written prompt \"{text} 한줄 요약:\"");
            rows.add(score("zero-shot base", 0, 0, model, tok, eos, test, rouge, out));

            if (methods.contains("lora")) {
                out.printf(Locale.ROOT, "[2/4] LoRA %s, %d epochs, lr %s%n", LORA_CONFIG, epochs, loraLearningRate);
                loraRow = trainAndScore("LoRA", "lora", LORA_CONFIG, loraLearningRate, epochs, model, tok, eos, trainExamples, test, rouge,
                        out, progress, saved);
                rows.add(loraRow);
            } else {
                out.println("[2/4] LoRA: skipped");
            }
            if (methods.contains("prompt-tuning")) {
                String ptConfig = promptTuningConfig(virtualTokens, initText);
                out.printf(Locale.ROOT, "[3/4] prompt tuning %s, %d epochs, lr %s%n", ptConfig, promptTuningEpochs,
                        promptLearningRate);
                rows.add(trainAndScore("prompt tuning", "prompt-tuning", ptConfig, promptLearningRate, promptTuningEpochs, model,
                        tok, eos, trainExamples, test, rouge, out, progress, saved));
            } else {
                out.println("[3/4] prompt tuning: skipped");
            }
        }
        Row onnx = null;
        int agreement = 0;
        if (Engines.installed().stream().anyMatch(e -> e.name().equals("onnx")) && loraRow != null) {
            out.println("[4/4] the LoRA adapter on ONNX Runtime (same files, engine swapped by configuration)");
            try (PeftModel model = PeftModel.open(modelDir, Engines.byName("onnx"), onnxOptions());
                    TextTokenizer tok = TextTokenizer.load(modelDir)) {
                model.loadAdapter(saved.get("lora"), "lora");
                onnx = score("LoRA on ONNX Runtime", loraRow.trainableParameters(), 0, model, tok, eosId(model), test, rouge, out);
                for (int i = 0; i < test.size(); i++) {
                    if (onnx.predictions().get(i).equals(loraRow.predictions().get(i))) {
                        agreement++;
                    }
                }
                out.printf(Locale.ROOT, "      identical to the PyTorch engine's summary on %d of %d documents%n", agreement, test.size());
            }
        } else {
            out.println(loraRow == null ? "[4/4] ONNX Runtime: skipped (no LoRA adapter)" : "[4/4] ONNX engine not installed: skipped");
        }
        printTable(rows, onnx, out);
        printExamples(rows, test, out);
        return new Result(rows, test, saved, onnx, agreement);
    }

    /**
     * The ONNX engine on the same base as training (precision, quantization): on a quantized base
     * it multiplies in float32 unless told otherwise, as the PyTorch engine does, so the two
     * engines' summaries can be compared one for one.
     */
    private EngineOptions onnxOptions() {
        EngineOptions o = new EngineOptions("cpu", options.threads()).withWeightDtype(options.weightDtype())
                .withQuantization(options.quantization(), options.quantizationBlockSize())
                .withEngineProperties(options.engineProperties());
        if (options.quantization() != ai.peft4j.api.quant.Quantization.NONE
                && !options.engineProperties().containsKey("onnx.quantized_matmul")) {
            o = o.withEngineProperty("onnx.quantized_matmul", "float32");
        }
        return o;
    }

    private static int eosId(PeftModel model) {
        Integer eos = model.runtime().config().eosTokenId();
        if (eos == null) {
            throw new Peft4jException(model.runtime().checkpoint().directory() + ": config.json has no eos_token_id");
        }
        return eos;
    }

    private Row trainAndScore(String label, String method, String config, double lr, int methodEpochs, PeftModel model, TextTokenizer tok, int eos,
            List<Example> train, List<SummarizationExample> test, KoreanRouge rouge, PrintStream out,
            Function<String, TrainingListener> progress, Map<String, Path> saved) {
        JsonObject json = JsonParser.parseString(config).getAsJsonObject();
        Path dir = outDir.resolve(method);
        TrainingConfig.Builder tc = TrainingConfig.builder().optLearningRate(lr).optEpochs(methodEpochs).optBatchSize(batchSize)
                .optWarmupRatio(0.05).optOutputDir(dir).optSeed(seed);
        long t0 = System.nanoTime();
        FineTuneJob.run(model, tok, method, PeftMethods.byName(method).parseConfig(json, label), train, null, tc,
                model.runtime().config().maxPositions(), eos, false, progress == null ? null : progress.apply(method));
        double secs = (System.nanoTime() - t0) / 1e9;
        saved.put(method, dir);
        long trainable = model.trainableParameters().trainable();
        Row row = score(label, trainable, secs, model, tok, eos, test, rouge, out);
        out.printf(Locale.ROOT, "      adapter saved in PEFT format: %s%n", dir);
        model.deleteAdapter(method);
        return row;
    }

    private Row score(String label, long trainable, double trainSeconds, PeftModel model, TextTokenizer tok, int eos,
            List<SummarizationExample> test, KoreanRouge rouge, PrintStream out) {
        // At least a few tokens, so a base model that would stop at once still writes something.
        GenerationConfig gen = GenerationConfig.builder().maxNewTokens(maxNewTokens).minNewTokens(5).eosTokenIds(Set.of(eos))
                .padTokenId(eos).build();
        Summarizer summarizer = new Summarizer(model, tok, gen).setBatchSize(16).setFirstSentenceOnly(true);
        SummarizationEval.Report report = SummarizationEval.evaluate(summarizer, test, rouge);
        RougeScores s = report.scores().average();
        out.printf(Locale.ROOT, "      ROUGE-1 %.4f  ROUGE-2 %.4f  ROUGE-L %.4f  (%d summaries in %.1f s)%n", s.rouge1().f(),
                s.rouge2().f(), s.rougeL().f(), test.size(), report.seconds());
        List<String> preds = report.predictions().stream().map(SummarizationExample::summary).toList();
        return new Row(label, trainable, trainSeconds, s, preds);
    }

    private static void printTable(List<Row> rows, Row onnx, PrintStream out) {
        out.println();
        out.println("| method | trainable params | train time | ROUGE-1 | ROUGE-2 | ROUGE-L |");
        out.println("|---|---:|---:|---:|---:|---:|");
        List<Row> all = new ArrayList<>(rows);
        if (onnx != null) {
            all.add(onnx);
        }
        for (Row r : all) {
            out.printf(Locale.ROOT, "| %s | %,d | %s | %.4f | %.4f | %.4f |%n", r.method(), r.trainableParameters(),
                    r.trainSeconds() == 0 ? "-" : String.format(Locale.ROOT, "%.0f s", r.trainSeconds()), r.scores().rouge1().f(),
                    r.scores().rouge2().f(), r.scores().rougeL().f());
        }
    }

    private static void printExamples(List<Row> rows, List<SummarizationExample> test, PrintStream out) {
        out.println();
        for (int k = 0; k < Math.min(3, test.size()); k++) {
            int i = k * Math.max(1, test.size() / 3);
            SummarizationExample e = test.get(i);
            out.printf("문서 %s: %s%n", e.id(), e.text().length() > 120 ? e.text().substring(0, 120) + "…" : e.text());
            out.printf("  정답: %s%n", e.summary());
            for (Row r : rows) {
                out.printf("  %s: %s%n", r.method(), r.predictions().get(i));
            }
            out.println();
        }
    }
}
