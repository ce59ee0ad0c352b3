package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.examples.progress.ProgressBarListener;
import ai.peft4j.examples.summarization.KoreanSummarizationDemo;
import ai.peft4j.examples.summarization.data.SummarizationData;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j demo}: the main job on the embedded default — Korean one-line summarization with
 * the embedded small Korean base model and the bundled synthetic dataset, offline.
 *
 * <pre>{@code
 * ./peft4j demo
 * ./peft4j demo --train-limit 200 --test-limit 20   # a quick look
 * }</pre>
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Korean one-line summarization end to end on the embedded model: zero-shot, LoRA, prompt tuning, ONNX.")
public final class DemoCommand implements Callable<Integer> {
    /** Where the embedded base model lives, relative to the repository root. */
    public static final String EMBEDDED_MODEL = "examples/demo/ko-base";

    @Option(names = "--model", paramLabel = "DIR", description = "Base model (default: the embedded " + EMBEDDED_MODEL + ").")
    Path model;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the adapters are saved (default runs/demo).")
    Path out = Path.of("runs", "demo");

    @Option(names = "--train-limit", paramLabel = "N", description = "Use only the first N training documents.")
    Integer trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", description = "Score only the first N test documents.")
    Integer testLimit;

    @Option(names = "--epochs", description = "LoRA epochs (default 3).")
    int epochs = 3;

    @Option(names = "--prompt-tuning-epochs", paramLabel = "N", description = "Prompt-tuning epochs (default 6: a soft prompt learns more slowly).")
    int promptTuningEpochs = 6;

    @Option(names = "--lora-lr", paramLabel = "LR", description = "LoRA learning rate (default 5e-3).")
    double loraLr = 5e-3;

    @Option(names = "--prompt-tuning-lr", paramLabel = "LR", description = "Prompt-tuning learning rate (default 0.3).")
    double promptTuningLr = 0.3;

    @Option(names = "--prompt-tuning-tokens", paramLabel = "N", description = "Virtual tokens of the soft prompt (default 20).")
    int promptTuningTokens = 20;

    @Option(names = "--prompt-tuning-init-text", paramLabel = "TEXT", description = "Text the soft prompt starts from (default: an instruction to summarise in one line).")
    String promptTuningInitText = ai.peft4j.examples.summarization.KoreanSummarizationDemo.PROMPT_TUNING_INIT_TEXT;

    @Option(names = "--methods", split = ",", paramLabel = "M", description = "Adapters to train: lora, prompt-tuning (default both).")
    java.util.Set<String> methods = java.util.Set.of("lora", "prompt-tuning");

    @Option(names = "--no-progress", description = "No progress bars.")
    boolean noProgress;

    @Mixin
    EngineFlags engineFlags = new EngineFlags();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static Path embeddedModel() {
        Path home = Path.of(System.getProperty("peft4j.home", "."));
        Path dir = home.resolve(EMBEDDED_MODEL);
        if (!Files.isDirectory(dir)) {
            throw new Peft4jException(dir + ": the embedded base model is missing; run from the repository (./peft4j demo) or pass --model");
        }
        return dir;
    }

    @Override
    public Integer call() {
        var injector = engineFlags.injector();
        Path base = model != null ? model : embeddedModel();
        List<SummarizationExample> train = SummarizationData.bundledTrain();
        List<SummarizationExample> test = SummarizationData.bundledTest();
        if (trainLimit != null) {
            train = train.subList(0, Math.min(trainLimit, train.size()));
        }
        if (testLimit != null) {
            test = test.subList(0, Math.min(testLimit, test.size()));
        }
        var o = spec.commandLine().getOut();
        o.println("peft4j demo: one-line summaries of Korean reports (노트북으로 GPT 맛보기), offline on this machine");
        long t0 = System.nanoTime();
        new KoreanSummarizationDemo(base, out, engineFlags.engine(injector), engineFlags.options(injector)).setEpochs(epochs)
                .setPromptTuningEpochs(promptTuningEpochs)
                .setLearningRates(loraLr, promptTuningLr).setMethods(methods)
                .setPromptTuningVirtualTokens(promptTuningTokens).setPromptTuningInitText(promptTuningInitText)
                .run(train, test, new java.io.PrintStream(new WriterStream(o), true, java.nio.charset.StandardCharsets.UTF_8),
                        noProgress ? null : name -> new ProgressBarListener(name, System.err));
        o.printf(Locale.ROOT, "demo finished in %.1f min; the dataset is synthetic (see examples' DATA-LICENSE.md)%n",
                (System.nanoTime() - t0) / 6e10);
        return 0;
    }

    /** Adapts picocli's writer to a stream so library code can print to it. */
    private static final class WriterStream extends java.io.OutputStream {
        private final java.io.PrintWriter w;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        WriterStream(java.io.PrintWriter w) {
            this.w = w;
        }

        @Override
        public void write(int b) {
            line.write(b);
            if (b == '\n') {
                flush();
            }
        }

        @Override
        public void flush() {
            w.print(line.toString(java.nio.charset.StandardCharsets.UTF_8));
            w.flush();
            line.reset();
        }
    }
}
