package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingResult;
import ai.peft4j.examples.progress.ProgressBarListener;
import ai.peft4j.examples.summarization.KoreanRouge;
import ai.peft4j.examples.summarization.RougeScores;
import ai.peft4j.examples.summarization.SummarizationEval;
import ai.peft4j.examples.summarization.Summarizer;
import ai.peft4j.examples.summarization.SummaryDecoding;
import ai.peft4j.examples.summarization.data.SummarizationData;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import ai.peft4j.examples.train.FineTuneJob;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j summarize train|eval|predict}: the Korean one-line summarization task in the
 * competition's format ({@code id,text,summary} CSV or JSONL in; {@code id,summary} out), with
 * the prompt {@code "{text} 한줄 요약:"}.
 *
 * <pre>{@code
 * peft4j summarize train --model base --method lora --data train.csv --out runs/lora
 * peft4j summarize eval --model base --adapter runs/lora --data test.csv --scores scores.csv
 * peft4j summarize predict --model base --adapter runs/lora --data test.csv --out submission.csv
 * peft4j summarize data --out data     # the synthetic dataset (SummarizeDataCommand)
 * }</pre>
 */
@Command(name = "summarize", mixinStandardHelpOptions = true, description = "Korean one-line summarization: train, eval, predict; data writes the synthetic dataset.",
        subcommands = {SummarizeCommand.Train.class, SummarizeCommand.Eval.class, SummarizeCommand.Predict.class, SummarizeDataCommand.class})
public final class SummarizeCommand {
    /** The competition baseline's LoRA: r=8, alpha=32, dropout 0.1 on the attention query and value projections. */
    static final String BASELINE_LORA = "{\"r\": 8, \"lora_alpha\": 32, \"lora_dropout\": 0.1}";
    /** A text-initialised soft prompt of 20 virtual tokens. */
    static final String BASELINE_PROMPT_TUNING =
            "{\"num_virtual_tokens\": 20, \"prompt_tuning_init\": \"TEXT\", \"prompt_tuning_init_text\": \"다음 문서를 한 줄로 요약하세요:\"}";

    /** Decoding flags shared by eval and predict. */
    public static final class Decoding {
        @Option(names = "--max-new-tokens", description = "Longest summary in tokens (default 64).")
        int maxNewTokens = 64;

        @Option(names = "--min-new-tokens", description = "Shortest summary in tokens (default 0).")
        int minNewTokens;

        @Option(names = "--num-beams", description = "Beam search width (default 1 = greedy).")
        int numBeams = 1;

        @Option(names = "--no-repeat-ngram-size", description = "Forbid repeated n-grams of this size.")
        int noRepeatNgramSize;

        @Option(names = "--repetition-penalty", description = "CTRL repetition penalty (default 1.0).")
        double repetitionPenalty = 1.0;

        @Option(names = "--length-penalty", description = "Beam length penalty (default 1.0).")
        double lengthPenalty = 1.0;

        @Option(names = "--first-sentence", description = "Keep only the first sentence of each summary.")
        boolean firstSentence;

        @Option(names = "--batch", description = "Documents per generation batch (default 16).")
        int batch = 16;

        @Option(names = "--template", description = "Prompt template (default \"{text} 한줄 요약:\").")
        String template = Summarizer.DEFAULT_TEMPLATE;

        /** These flags as settings a distributed job can ship (see {@code examples/spark}). */
        public SummaryDecoding settings() {
            return SummaryDecoding.builder().optMaxNewTokens(maxNewTokens).optMinNewTokens(minNewTokens).optNumBeams(numBeams)
                    .optNoRepeatNgramSize(noRepeatNgramSize).optRepetitionPenalty(repetitionPenalty).optLengthPenalty(lengthPenalty)
                    .optFirstSentence(firstSentence).optBatchSize(batch).optTemplate(template).build();
        }

        Summarizer summarizer(LoadedModel m, Path modelDir) {
            return settings().summarizer(m.model(), m.tokenizer().orElseThrow(() -> new Peft4jException(modelDir + ": no tokenizer.json")),
                    GenerationDefaults.read(modelDir).eosTokenIds());
        }
    }

    /**
     * The method config {@code summarize train} starts from, as PEFT's JSON keys: the competition
     * baseline for LoRA and prompt tuning, {@code {}} for other methods, then the {@code --set
     * KEY=VALUE} overrides.
     */
    public static JsonObject methodJson(String method, List<String> sets) {
        var peftMethod = PeftMethods.byName(method);
        String base = peftMethod.peftType().equals("LORA") ? BASELINE_LORA
                : peftMethod.peftType().equals("PROMPT_TUNING") ? BASELINE_PROMPT_TUNING : "{}";
        return MethodConfigOverrides.apply(JsonParser.parseString(base).getAsJsonObject(), sets);
    }

    /** The learning rate {@code summarize train} uses unless told: 3e-2 for prompt tuning, else 2e-3. */
    public static double defaultLearningRate(String method) {
        return PeftMethods.byName(method).peftType().equals("PROMPT_TUNING") ? 3e-2 : 2e-3;
    }

    /** Reads id,text[,summary] CSV or JSONL, failing with the file's name. */
    public static List<SummarizationExample> read(Path data) {
        try {
            return SummarizationData.read(data);
        } catch (IOException e) {
            throw new Peft4jException(data + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** {@code summarize train}. */
    @Command(name = "train", mixinStandardHelpOptions = true, description = "Fine-tune an adapter on id,text,summary data.")
    static final class Train implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR")
        Path model;

        @Option(names = "--data", required = true, paramLabel = "FILE", description = "train.csv (id,text,summary) or JSONL.")
        Path data;

        @Option(names = "--out", required = true, paramLabel = "DIR")
        Path out;

        @Mixin
        SummaryTrainingFlags training = new SummaryTrainingFlags();

        @Mixin
        EngineFlags engineFlags = new EngineFlags();

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            var peftMethod = PeftMethods.byName(training.method);
            PeftConfig config = peftMethod.parseConfig(training.methodConfig(), "summarize train");
            var examples = SummarizationEval.trainingExamples(read(data), Summarizer.DEFAULT_TEMPLATE);
            try (LoadedModel m = engineFlags.open(model)) {
                m.model().setSeed(training.seed);
                int eos = GenerationDefaults.read(model).eosTokenIds().iterator().next();
                TrainingConfig.Builder tc = TrainingConfig.builder().optLearningRate(training.learningRate()).optEpochs(training.epochs)
                        .optBatchSize(training.batch).optOutputDir(out).optCheckpointEverySteps(training.checkpointEvery)
                        .optSeed(training.seed);
                long t0 = System.nanoTime();
                TrainingResult r = FineTuneJob.run(m.model(), m.tokenizer().orElseThrow(), "default", config, examples, null, tc,
                        training.maxLength(m.checkpoint().config().maxPositions()), eos, training.resume,
                        new ProgressBarListener(peftMethod.name(), System.err));
                spec.commandLine().getOut().printf(Locale.ROOT, "%s%n%d steps in %.1f s, final loss %.4f; adapter saved to %s%n",
                        m.model().trainableParameters(), r.steps(), (System.nanoTime() - t0) / 1e9,
                        r.losses().get(r.losses().size() - 1), out);
            }
            return 0;
        }
    }

    /** {@code summarize eval}. */
    @Command(name = "eval", mixinStandardHelpOptions = true, description = "Summarize id,text,summary data and print ROUGE-1/2/L F1.")
    static final class Eval implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR")
        Path model;

        @Option(names = "--data", required = true, paramLabel = "FILE", description = "test data with reference summaries.")
        Path data;

        @Option(names = "--scores", paramLabel = "FILE", description = "Write per-document scores (CSV) here.")
        Path scores;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Mixin
        Decoding decoding = new Decoding();

        @Mixin
        AdapterFlags adapterFlags = new AdapterFlags();

        @Mixin
        EngineFlags engineFlags = new EngineFlags();

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            List<SummarizationExample> examples = read(data);
            try (LoadedModel m = engineFlags.open(model)) {
                adapterFlags.apply(m.model());
                SummarizationEval.Report report = SummarizationEval.evaluate(decoding.summarizer(m, model), examples, new KoreanRouge());
                RougeCommand.print(spec, report.scores().average(), examples.size(), json);
                if (scores != null) {
                    writeScores(scores, examples, report);
                }
            }
            return 0;
        }
    }

    /** Per-document scores as RFC 4180 CSV (Commons CSV quotes ids and predictions), written atomically. */
    static void writeScores(Path file, List<SummarizationExample> examples, SummarizationEval.Report report) {
        StringBuilder csv = new StringBuilder();
        try (CSVPrinter printer = new CSVPrinter(csv, CSVFormat.RFC4180.builder().setRecordSeparator('\n').build())) {
            printer.printRecord("id", "rouge1", "rouge2", "rougeL", "prediction");
            for (int i = 0; i < examples.size(); i++) {
                RougeScores s = report.scores().perDocument().get(i);
                printer.printRecord(examples.get(i).id(), String.format(Locale.ROOT, "%.6f", s.rouge1().f()),
                        String.format(Locale.ROOT, "%.6f", s.rouge2().f()), String.format(Locale.ROOT, "%.6f", s.rougeL().f()),
                        report.predictions().get(i).summary());
            }
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot format scores: " + e.getMessage(), e);
        }
        ai.peft4j.api.io.AtomicFiles.writeString(file, csv.toString());
    }

    /** {@code summarize predict}. */
    @Command(name = "predict", mixinStandardHelpOptions = true, description = "Write the id,summary submission CSV for id,text data.")
    static final class Predict implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR")
        Path model;

        @Option(names = "--data", required = true, paramLabel = "FILE", description = "test.csv (id,text).")
        Path data;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Submission CSV (id,summary), written atomically.")
        Path out;

        @Mixin
        Decoding decoding = new Decoding();

        @Mixin
        AdapterFlags adapterFlags = new AdapterFlags();

        @Mixin
        EngineFlags engineFlags = new EngineFlags();

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            List<SummarizationExample> examples = read(data);
            try (LoadedModel m = engineFlags.open(model)) {
                adapterFlags.apply(m.model());
                List<String> texts = examples.stream().map(SummarizationExample::text).toList();
                List<String> summaries = decoding.summarizer(m, model).summarize(texts);
                List<SummarizationExample> preds = new ArrayList<>();
                for (int i = 0; i < examples.size(); i++) {
                    preds.add(new SummarizationExample(examples.get(i).id(), examples.get(i).text(), summaries.get(i)));
                }
                SummarizationData.writeSubmission(out, preds);
                spec.commandLine().getOut().printf(Locale.ROOT, "wrote %d summaries to %s%n", preds.size(), out);
            }
            return 0;
        }
    }
}
