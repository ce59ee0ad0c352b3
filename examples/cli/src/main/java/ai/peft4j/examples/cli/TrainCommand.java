package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.Example;
import ai.peft4j.api.data.Examples;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.train.LearningRateSchedule;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingResult;
import ai.peft4j.examples.progress.ProgressBarListener;
import ai.peft4j.examples.train.FineTuneJob;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j train}: fine-tunes an adapter of any installed method on (prompt, completion) data
 * with the shared trainer, with a progress bar, atomic checkpoints and {@code --resume}.
 *
 * <pre>{@code
 * peft4j train --model base --method lora --set r=8 --set lora_alpha=32 --data train.csv \
 *     --prompt-template "{text} 한줄 요약:" --completion-template " {summary}" --out runs/lora --epochs 1
 * }</pre>
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Fine-tune an adapter (lora, prompt-tuning, full, or any installed method).")
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model directory.")
    Path model;

    @Option(names = "--method", required = true, paramLabel = "NAME", description = "Method plugin: lora, prompt-tuning, full, ... (installed: see error).")
    String method;

    @Option(names = "--config", paramLabel = "FILE", description = "Method config as PEFT's adapter_config.json keys.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one method config key with a JSON value, e.g. --set r=8 --set target_modules='[\"q_proj\"]'; a bare word (all-linear) is a string, a value that looks like JSON but is not is refused.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Training data: .jsonl, .csv or .tsv.")
    Path data;

    @Option(names = "--eval", paramLabel = "FILE", description = "Evaluation data (same format).")
    Path eval;

    @Option(names = "--prompt-template", paramLabel = "T", description = "Prompt from columns, e.g. \"{text} 한줄 요약:\" (default: {prompt}).")
    String promptTemplate = "{prompt}";

    @Option(names = "--completion-template", paramLabel = "T", description = "Completion from columns, e.g. \" {summary}\" (default: {completion}).")
    String completionTemplate = "{completion}";

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory: the adapter plus checkpoint-* directories.")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "Stop after N optimizer steps.")
    Long steps;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default 3, unless --steps).")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "N", description = "Batch size (default 8).")
    int batch = 8;

    @Option(names = "--grad-accum", paramLabel = "N", description = "Gradient accumulation steps (default 1).")
    int gradAccum = 1;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 2e-4).")
    double lr = 2e-4;

    @Option(names = "--optimizer", paramLabel = "NAME", description = "adamw (default) or sgd.")
    String optimizer = "adamw";

    @Option(names = "--weight-decay", paramLabel = "W", description = "Decoupled weight decay (default 0).")
    double weightDecay;

    @Option(names = "--schedule", paramLabel = "S", description = "linear (default), cosine or constant.")
    String schedule = "linear";

    @Option(names = "--warmup-steps", paramLabel = "N", description = "Warm-up steps (default 0).")
    long warmupSteps;

    @Option(names = "--max-grad-norm", paramLabel = "N", description = "Global-norm gradient clipping (default 1.0; 0 disables).")
    double maxGradNorm = 1.0;

    @Option(names = "--max-length", paramLabel = "N", description = "Longest training sequence in tokens (default: the model's context).")
    Integer maxLength;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Write checkpoint-<step> every N steps (default 0 = only the final adapter).")
    int checkpointEvery;

    @Option(names = "--eval-every", paramLabel = "N", description = "Evaluation loss every N steps.")
    int evalEvery;

    @Option(names = "--seed", paramLabel = "S", description = "Seed for initialisation, data order and dropout (default 42).")
    long seed = 42;

    @Option(names = "--resume", description = "Continue from the newest checkpoint in --out.")
    boolean resume;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Mixin
    EngineFlags engineFlags = new EngineFlags();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PeftMethod peftMethod = PeftMethods.byName(method);
        PeftConfig peftConfig = peftMethod.parseConfig(methodJson(), config == null ? "--set" : config.toString());
        List<Example> train = Examples.read(data, promptTemplate, completionTemplate);
        List<Example> evalExamples = eval == null ? null : Examples.read(eval, promptTemplate, completionTemplate);
        TrainingConfig.Builder tc = TrainingConfig.builder().optOptimizer(optimizer).optLearningRate(lr).optWeightDecay(weightDecay)
                .optSchedule(LearningRateSchedule.Type.valueOf(schedule.toUpperCase(Locale.ROOT))).optWarmupSteps(warmupSteps)
                .optBatchSize(batch).optGradientAccumulationSteps(gradAccum).optMaxGradNorm(maxGradNorm)
                .optCheckpointEverySteps(checkpointEvery).optEvalEverySteps(evalEvery).optOutputDir(out).optSeed(seed);
        if (steps != null) {
            tc.optMaxSteps(steps);
        }
        if (epochs != null) {
            tc.optEpochs(epochs);
        }
        try (LoadedModel m = engineFlags.open(model)) {
            m.model().setSeed(seed);
            var eosIds = GenerationDefaults.read(model).eosTokenIds();
            if (eosIds.isEmpty()) {
                throw new Peft4jException(model + ": no eos_token_id in config.json or generation_config.json; training appends EOS");
            }
            int eos = eosIds.iterator().next();
            int max = maxLength == null ? m.checkpoint().config().maxPositions() : maxLength;
            long t0 = System.nanoTime();
            TrainingResult r = FineTuneJob.run(m.model(), m.tokenizer().orElseThrow(() -> new Peft4jException(model + ": no tokenizer.json")),
                    "default", peftConfig, train, evalExamples, tc, max, eos, resume,
                    noProgress ? null : new ProgressBarListener(peftMethod.name(), System.err));
            double secs = (System.nanoTime() - t0) / 1e9;
            var o = spec.commandLine().getOut();
            o.println(m.model().trainableParameters());
            o.printf(Locale.ROOT, "steps %d, final loss %.4f%s, %.1f s; adapter saved to %s%n", r.steps(),
                    r.losses().isEmpty() ? Double.NaN : r.losses().get(r.losses().size() - 1),
                    Double.isNaN(r.lastEvalLoss()) ? "" : String.format(Locale.ROOT, ", eval loss %.4f", r.lastEvalLoss()), secs, out);
        }
        return 0;
    }

    private JsonObject methodJson() {
        JsonObject json = new JsonObject();
        if (config != null) {
            try {
                JsonElement e = JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8));
                if (!e.isJsonObject()) {
                    throw new Peft4jException(config + ": expected a JSON object");
                }
                json = e.getAsJsonObject();
            } catch (IOException e) {
                throw new Peft4jException(config + ": cannot read: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                if (e instanceof Peft4jException) {
                    throw e;
                }
                throw new Peft4jException(config + ": not valid JSON: " + e.getMessage(), e);
            }
        }
        return MethodConfigOverrides.apply(json, sets);
    }
}
