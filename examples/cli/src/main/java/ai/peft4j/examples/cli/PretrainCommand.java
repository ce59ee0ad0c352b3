package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.train.TrainingResult;
import ai.peft4j.examples.pretrain.KoreanBasePretraining;
import ai.peft4j.examples.progress.ProgressBarListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j pretrain}: the one-command recipe for the demo's embedded Korean base model
 * (tokenizer training, random init, full pretraining with the shared trainer, float16 save).
 *
 * <pre>{@code
 * peft4j pretrain --corpus corpora/ko --train-data train.csv --out base-model --steps 2000
 * }</pre>
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pretrain a small Korean base model from scratch (byte-level BPE + Llama-style decoder).")
public final class PretrainCommand implements Callable<Integer> {
    @Option(names = "--corpus", required = true, paramLabel = "DIR", description = "Directory of .txt corpora (one text per line) and Q/A .csv files.")
    Path corpus;

    @Option(names = "--train-data", paramLabel = "FILE", description = "Summarization train.csv whose documents join the corpus.")
    Path trainData;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output model directory.")
    Path out;

    @Option(names = "--vocab", paramLabel = "N", description = "Tokenizer vocabulary (default 4096).")
    int vocab = 4096;

    @Option(names = "--hidden", description = "Hidden size (default 256).")
    int hidden = 256;

    @Option(names = "--layers", description = "Layers (default 4).")
    int layers = 4;

    @Option(names = "--heads", description = "Attention heads (default 4).")
    int heads = 4;

    @Option(names = "--intermediate", description = "MLP width (default 768).")
    int intermediate = 768;

    @Option(names = "--steps", description = "Optimizer steps (default 2000).")
    long steps = 2000;

    @Option(names = "--batch", description = "Sequences per step (default 16).")
    int batch = 16;

    @Option(names = "--seq", description = "Packed sequence length (default 256).")
    int seq = 256;

    @Option(names = "--lr", description = "Peak learning rate, cosine schedule (default 2e-3).")
    double lr = 2e-3;

    @Option(names = "--doc-repeat", paramLabel = "N", description = "Times each --train-data document enters the corpus (default 1).")
    int docRepeat = 1;

    @Option(names = "--seed", description = "Seed (default 20241126).")
    long seed = 20241126;

    @Option(names = "--task-pairs", paramLabel = "N",
            description = "Add N document / one-line-summary pairs in natural forms (headline above the article, \"요약:\" after it, "
                    + "...), generated apart from and disjoint with the demo's train and test splits (default 0).")
    int taskPairs;

    @Option(names = "--task-seed", paramLabel = "S", description = "Generator seed of the --task-pairs (default 7300001).")
    long taskSeed = 7_300_001L;

    @Option(names = "--checkpoint-every", paramLabel = "STEPS",
            description = "Write a resumable checkpoint every STEPS steps (default 250; 0: none).")
    int checkpointEvery = 250;

    @Option(names = "--resume", description = "Continue the interrupted run in --out from its newest checkpoint (same flags).")
    boolean resume;

    @Option(names = "--fresh", description = "Delete an interrupted run's checkpoints in --out and start over.")
    boolean fresh;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Mixin
    EngineFlags engineFlags = new EngineFlags();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var injector = engineFlags.injector();
        KoreanBasePretraining recipe = new KoreanBasePretraining(engineFlags.engine(injector), engineFlags.options(injector))
                .setVocabSize(vocab).setShape(hidden, layers, heads, intermediate).setSteps(steps).setBatch(batch, seq)
                .setLearningRate(lr).setSeed(seed).setDocumentRepeat(docRepeat).setCheckpointEvery(checkpointEvery).setResume(resume)
                .setTaskPairs(taskPairs, taskSeed);
        try {
            long t0 = System.nanoTime();
            List<String> lines = recipe.readCorpus(corpus, trainData);
            if (fresh) {
                KoreanBasePretraining.deleteCheckpoints(out);
            }
            Optional<Path> interrupted = KoreanBasePretraining.interruptedRun(out);
            if (resume) {
                spec.commandLine().getOut().println(interrupted.map(c -> "continuing the interrupted run in " + out + " from "
                        + c.getFileName()).orElse("no interrupted run in " + out + "; starting a new one"));
            }
            if (taskPairs > 0) {
                spec.commandLine().getOut().printf(Locale.ROOT, "task pairs: %,d in natural forms (seed %d; %d generated pairs dropped "
                        + "as overlapping the demo's train or test split)%n", taskPairs, taskSeed, recipe.taskPairsDropped());
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "corpus: %,d lines; training the tokenizer and the model%n", lines.size());
            TrainingResult r = recipe.run(lines, out, noProgress ? null : new ProgressBarListener("pretrain", System.err));
            spec.commandLine().getOut().printf(Locale.ROOT, "pretrained %d steps in %.1f min, final loss %.3f; saved to %s%n", r.steps(),
                    (System.nanoTime() - t0) / 6e10, r.losses().get(r.losses().size() - 1), out);
        } catch (IOException e) {
            throw new Peft4jException("pretraining failed: " + e.getMessage(), e);
        }
        return 0;
    }
}
