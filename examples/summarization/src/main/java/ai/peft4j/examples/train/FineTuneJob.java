package ai.peft4j.examples.train;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.CausalLmEncoder;
import ai.peft4j.api.data.EncodedExamples;
import ai.peft4j.api.data.Example;
import ai.peft4j.api.data.TokenizedExample;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import ai.peft4j.api.train.Checkpoints;
import ai.peft4j.api.train.Trainer;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingListener;
import ai.peft4j.api.train.TrainingResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fine-tuning run as the command line and the demo run it: add the adapter, encode
 * (prompt, completion) examples with EOS and prompt-masked labels, train with the shared
 * {@link Trainer}, resume from the newest checkpoint when asked, and save the adapter.
 *
 * <pre>{@code
 * TrainingResult r = FineTuneJob.run(model, tokenizer, "default", loraConfig, train, eval,
 *     TrainingConfig.builder().optEpochs(1).optOutputDir(out), 256, eos, false, listener);
 * }</pre>
 */
public final class FineTuneJob {
    private static final Logger LOG = LoggerFactory.getLogger(FineTuneJob.class);

    private FineTuneJob() {}

    /**
     * @param resume continue from the newest {@code checkpoint-*} in the output directory if any;
     *     without it, checkpoints already there are refused rather than mixed with a new run's
     * @param listener progress reporting, or null
     */
    public static TrainingResult run(PeftModel model, TextTokenizer tokenizer, String adapterName, PeftConfig config,
            List<Example> train, List<Example> eval, TrainingConfig.Builder trainingBuilder, int maxLength, int eosTokenId, boolean resume,
            TrainingListener listener) {
        Path checkpoint = checkpointToResume(trainingBuilder.build().outputDir(), resume).orElse(null);
        return runFrom(model, tokenizer, adapterName, config, train, eval, trainingBuilder, maxLength, eosTokenId, checkpoint, listener);
    }

    /**
     * The checkpoint a run into {@code outputDir} continues from: the newest one when
     * {@code resume}, none for a fresh run. Clears what a killed run left behind first.
     *
     * @throws Peft4jException if the directory holds checkpoints and {@code resume} is false: a
     *     new run would interleave its checkpoints with the old run's
     */
    public static Optional<Path> checkpointToResume(Path outputDir, boolean resume) {
        if (outputDir == null) {
            return Optional.empty();
        }
        Checkpoints.recover(outputDir); // before choosing the newest checkpoint
        Optional<Path> last = Checkpoints.latest(outputDir);
        if (last.isPresent() && !resume) {
            // A new run would interleave its checkpoints with the old run's, and pruning could keep the wrong ones.
            throw new Peft4jException(outputDir + " holds the checkpoints of an earlier run (newest: "
                    + last.get().getFileName() + "): continue it with --resume, or train into another --out");
        }
        return last;
    }

    /**
     * Like {@link #run}, continuing from the given checkpoint ({@code null}: from the adapter's
     * initial values). Data-parallel workers use this with one checkpoint chosen for all of them.
     */
    public static TrainingResult runFrom(PeftModel model, TextTokenizer tokenizer, String adapterName, PeftConfig config,
            List<Example> train, List<Example> eval, TrainingConfig.Builder trainingBuilder, int maxLength, int eosTokenId, Path checkpoint,
            TrainingListener listener) {
        if (!model.adapterNames().contains(adapterName)) {
            model.addAdapter(adapterName, config);
        }
        model.setActiveAdapters(adapterName);
        CausalLmEncoder encoder = CausalLmEncoder.builder(tokenizer).eosTokenId(eosTokenId)
                .maxLength(maxLength - model.hooks().prefixLength()).build();
        EncodedExamples encodedTrain = encoder.encode(train);
        if (encodedTrain.truncated() > 0 || encodedTrain.skipped() > 0) {
            LOG.warn("{} training prompts were cut from the left to fit {} tokens; {} examples were skipped",
                    encodedTrain.truncated(), maxLength, encodedTrain.skipped());
        }
        List<TokenizedExample> encodedEval = eval == null || eval.isEmpty() ? null : encoder.encode(eval).examples();
        TrainingConfig training = trainingBuilder.optAdapterName(adapterName).optPadTokenId(eosTokenId).build();
        Trainer trainer = new Trainer(model, training);
        if (listener != null) {
            trainer.addListener(listener);
        }
        if (checkpoint != null) {
            LOG.info("resuming from {}", checkpoint);
            return trainer.resume(checkpoint, encodedTrain.examples(), encodedEval);
        }
        return trainer.train(encodedTrain.examples(), encodedEval);
    }
}
