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
        if (training.outputDir() != null) {
            Checkpoints.recover(training.outputDir()); // before choosing the newest checkpoint
        }
        Optional<Path> last = training.outputDir() != null ? Checkpoints.latest(training.outputDir()) : Optional.empty();
        if (last.isPresent() && !resume) {
            // A new run would interleave its checkpoints with the old run's, and pruning could keep the wrong ones.
            throw new Peft4jException(training.outputDir() + " holds the checkpoints of an earlier run (newest: "
                    + last.get().getFileName() + "): continue it with --resume, or train into another --out");
        }
        if (last.isPresent()) {
            LOG.info("resuming from {}", last.get());
            return trainer.resume(last.get(), encodedTrain.examples(), encodedEval);
        }
        return trainer.train(encodedTrain.examples(), encodedEval);
    }
}
