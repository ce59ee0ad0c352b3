package ai.peft4j.api.train;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.LengthBucketBatcher;
import ai.peft4j.api.data.TokenizedExample;
import ai.peft4j.api.engine.Capability;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.peft.PeftModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the trainable parameters of one adapter of a {@link PeftModel}, for any method plugin,
 * on any engine with {@link Capability#TRAIN}. It uses only {@link DecoderRuntime#lossAndGradients}
 * and the {@link ParameterStore}, so it is engine-agnostic; the optimizer runs on the host (see
 * {@link Optimizer}).
 *
 * <p>One update: for each of {@code gradientAccumulationSteps} micro-batches the engine returns
 * the summed token loss and its gradients; the sums are added and divided by the total target
 * token count (so the loss is the token-weighted mean over the whole update, as Hugging Face's
 * causal-LM loss over one batch); NaN/Inf stops the run ({@link TrainingDivergedException});
 * gradients are clipped to a global norm; the optimizer applies the scheduled learning rate and
 * the new values are written back with {@link ParameterStore#update}. At an epoch's end a
 * partial accumulation makes the last update.
 *
 * <p>Determinism: data order is a function of (seed, epoch) ({@link LengthBucketBatcher}), and
 * the engine's random source is reseeded from (seed, step, micro-batch) before every micro-batch
 * ({@link DecoderRuntime#setSeed}), so the RNG state is fully described by the step; a resumed
 * run repeats an uninterrupted one.
 *
 * <p>Data parallelism: with a {@link GradientReducer} other than the default
 * ({@link TrainingConfig.Builder#optGradientReducer}), every worker runs this trainer on the
 * same data, computes only its {@linkplain GradientReducer#shard shard} of each micro-batch, and
 * the reducer sums the workers' loss, token counts and gradients before the division by the
 * (global) target count; each worker then applies the same update. Only rank 0 writes the output
 * directory. The default reducer is the identity, so a single process trains exactly as before.
 *
 * <p>Checkpoints ({@code checkpoint-<step>} in the output dir, written and read by
 * {@link Checkpoints}) hold the adapter ({@link PeftModel#saveAdapter}), the optimizer state and
 * {@code trainer_state.json} ({@link TrainerState}: step, epoch, data position, seed, schedule,
 * log history); they are written atomically and the newest {@code keepCheckpoints} are kept.
 * A micro-batch with non-finite gradients at a finite loss is computed once more before the run
 * is stopped ({@link #recomputedMicroBatches}).
 *
 * <pre>{@code
 * try (PeftModel model = PeftModel.open(modelDir, Engines.byName("pytorch"), EngineOptions.defaults())) {
 *   model.addAdapter("default", PeftMethods.byName("lora").parseConfig(loraJson, "cli"));
 *   EncodedExamples data = CausalLmEncoder.builder(tokenizer).eosTokenId(eos).maxLength(256).build()
 *       .encode(Examples.read(Path.of("train.jsonl"), "{text} 한줄 요약:", " {summary}"));
 *   Trainer trainer = new Trainer(model, TrainingConfig.builder().optLearningRate(2e-4).optEpochs(3)
 *       .optOutputDir(out).optCheckpointEverySteps(100).build());
 *   trainer.addListener(new TrainingListener() {
 *     public void onStepEnd(StepMetrics m) { System.out.println(m.step() + " " + m.loss()); }
 *   });
 *   Optional<Path> last = Checkpoints.latest(out);
 *   TrainingResult r = last.isPresent() ? trainer.resume(last.get(), data.examples(), null)
 *                                       : trainer.train(data.examples(), null);
 * }
 * }</pre>
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final PeftModel model;
    private final TrainingConfig config;
    private final DecoderRuntime runtime;
    private final String adapterName;
    private final Adapter adapter;
    private final List<String> keys;
    private final GradientReducer reducer;
    private final NonFiniteGradientGuard guard = new NonFiniteGradientGuard();
    private final List<TrainingListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean stopRequested;

    /**
     * A trainer for the adapter named in the config, or the single active adapter.
     *
     * @throws Peft4jException if the engine cannot train (naming the engines that can), or the
     *     adapter has nothing trainable
     */
    public Trainer(PeftModel model, TrainingConfig config) {
        this.model = model;
        this.config = config;
        this.runtime = model.runtime();
        Engines.requireCapability(runtime.engine(), Capability.TRAIN);
        if (config.adapterName() != null) {
            this.adapterName = config.adapterName();
        } else if (model.activeAdapters().size() == 1) {
            this.adapterName = model.activeAdapters().get(0);
        } else {
            throw new Peft4jException("train one adapter: " + (model.activeAdapters().isEmpty() ? "no adapter is active; add one first"
                    : "active adapters are " + model.activeAdapters() + "; name one in the training config"));
        }
        this.adapter = model.adapter(adapterName);
        if (!model.activeAdapters().contains(adapterName)) {
            throw new Peft4jException("adapter '" + adapterName + "' is not active; activate it before training");
        }
        if (model.mergedAdapters().contains(adapterName)) {
            throw new Peft4jException("adapter '" + adapterName + "' is merged; unmerge it before training");
        }
        Set<String> trainable = runtime.parameters().trainableKeys();
        List<String> k = new ArrayList<>();
        for (String storeKey : adapter.stateKeys().values()) {
            if (trainable.contains(storeKey) && !k.contains(storeKey)) {
                k.add(storeKey);
            }
        }
        k.sort(Comparator.naturalOrder());
        if (k.isEmpty()) {
            throw new Peft4jException("adapter '" + adapterName + "' has no trainable parameters");
        }
        this.keys = List.copyOf(k);
        this.reducer = config.gradientReducer();
    }

    public Trainer addListener(TrainingListener listener) {
        listeners.add(listener);
        return this;
    }

    /** Asks the run to stop after the current update (no final save); it can be resumed from a checkpoint. */
    public void requestStop() {
        stopRequested = true;
    }

    /** The parameter-store keys this trainer updates. */
    public List<String> trainedKeys() {
        return keys;
    }

    /** Trains from the adapter's current values. {@code eval} may be null or empty. */
    public TrainingResult train(List<TokenizedExample> train, List<TokenizedExample> eval) {
        recoverOutputDir();
        Run run = new Run(train, eval);
        return run.loop();
    }

    /**
     * Continues the run saved in {@code checkpointDir} (restoring the adapter values, optimizer
     * state, step and data position) with the same data; the result equals an uninterrupted run.
     *
     * @throws Peft4jException if the checkpoint belongs to a different adapter type, data set,
     *     batch size, accumulation or seed
     */
    public TrainingResult resume(Path checkpointDir, List<TokenizedExample> train, List<TokenizedExample> eval) {
        recoverOutputDir();
        Run run = new Run(train, eval);
        run.restore(checkpointDir);
        return run.loop();
    }

    /** Clears what a killed run left in the output directory (see {@link Checkpoints#recover}). */
    private void recoverOutputDir() {
        if (config.outputDir() != null && writesOutput()) {
            Checkpoints.recover(config.outputDir());
        }
    }

    /** Whether this worker writes checkpoints and the final adapter: rank 0 only. */
    private boolean writesOutput() {
        return reducer.rank() == 0;
    }

    // ---- one run ---------------------------------------------------------------------------

    private final class Run {
        final LengthBucketBatcher batcher;
        final List<TokenizedExample> eval;
        final Optimizer optimizer = config.newOptimizer();
        final Map<String, float[]> params = new LinkedHashMap<>();
        final Map<String, long[]> shapes = new LinkedHashMap<>();
        final long totalSteps;
        final LearningRateSchedule schedule;
        final List<TrainerState.LogEntry> logHistory = new ArrayList<>();
        long step;
        int epoch;
        int batchIndex;
        long tokensSeen;
        Path lastCheckpoint;
        double lastEvalLoss = Double.NaN;
        List<int[]> epochBatches;
        int epochBatchesOf = -1;

        Run(List<TokenizedExample> train, List<TokenizedExample> eval) {
            this.batcher = new LengthBucketBatcher(train, config.batchSize(), config.shuffle(), config.seed(),
                    config.bucketWindowBatches(), padId());
            this.eval = eval == null ? List.of() : List.copyOf(eval);
            int updatesPerEpoch = (batcher.batchesPerEpoch() + config.gradientAccumulationSteps() - 1)
                    / config.gradientAccumulationSteps();
            this.totalSteps = config.maxSteps() > 0 ? config.maxSteps() : (long) config.epochs() * updatesPerEpoch;
            this.schedule = config.newSchedule(totalSteps);
            ParameterStore store = runtime.parameters();
            for (String k : keys) {
                HostTensor t = store.get(k);
                params.put(k, t.data().clone());
                shapes.put(k, t.shape());
            }
        }

        int padId() {
            if (config.padTokenId() >= 0) {
                return config.padTokenId();
            }
            DecoderConfig c = runtime.config();
            return c.padTokenId() != null ? c.padTokenId() : c.eosTokenId() != null ? c.eosTokenId() : 0;
        }

        TrainingResult loop() {
            long start = System.nanoTime();
            long startStep = step;
            long trainable = 0;
            for (float[] p : params.values()) {
                trainable += p.length;
            }
            TrainingPlan plan = new TrainingPlan(step, totalSteps, batcher.size(), batcher.batchesPerEpoch(), trainable);
            LOG.info("training adapter '{}' ({} parameters) from step {} to {}: {}", adapterName, trainable, step, totalSteps, config);
            listeners.forEach(l -> l.onTrainStart(plan));
            List<Double> losses = new ArrayList<>();
            HookSet hooks = model.hooks();
            double stepSecondsSum = 0;
            stopRequested = false;
            runtime.setTraining(true);
            try {
                while (step < totalSteps && !stopRequested) {
                    long t0 = System.nanoTime();
                    if (batchIndex >= batcher.batchesPerEpoch()) {
                        epoch++;
                        batchIndex = 0;
                    }
                    int dataEpoch = epoch;
                    double lossSum = 0;
                    int targets = 0;
                    int inputTokens = 0;
                    Map<String, float[]> grads = null;
                    for (int micro = 0; micro < config.gradientAccumulationSteps() && batchIndex < batcher.batchesPerEpoch(); micro++) {
                        int[] rows = reducer.shard(batches(epoch).get(batchIndex++));
                        if (rows.length == 0) {
                            grads = accumulate(grads, Map.of()); // fewer rows than workers: this one adds zeros
                            continue;
                        }
                        TrainBatch batch = batcher.collate(rows);
                        LossResult r = guard.lossAndGradients(runtime, batch, hooks, mix(config.seed(), step, micro), step + 1);
                        lossSum += r.lossSum();
                        targets += r.tokens();
                        inputTokens += realTokens(batch);
                        grads = accumulate(grads, r.gradients());
                    }
                    if (reducer.worldSize() > 1) {
                        GradientSums global = reducer.reduce(new GradientSums(lossSum, targets, inputTokens, grads));
                        lossSum = global.lossSum();
                        targets = Math.toIntExact(global.targetTokens());
                        inputTokens = Math.toIntExact(global.inputTokens());
                        grads = global.gradients();
                    }
                    long stepNo = step + 1;
                    if (targets == 0) {
                        throw new Peft4jException("step " + stepNo + ": the batch has no target tokens (every label is -100)");
                    }
                    double loss = lossSum / targets;
                    if (!Double.isFinite(loss)) {
                        throw diverged(stepNo, "the loss is " + loss);
                    }
                    float inv = (float) (1.0 / targets);
                    for (float[] g : grads.values()) {
                        for (int i = 0; i < g.length; i++) {
                            g[i] *= inv;
                        }
                    }
                    double norm = GradientClipping.clipGlobalNorm(grads.values(), config.maxGradNorm());
                    if (!Double.isFinite(norm)) {
                        throw diverged(stepNo, "the gradient norm is " + norm + " (loss " + loss + "; non-finite gradients in "
                                + NonFiniteGradientGuard.nonFinite(grads) + ")");
                    }
                    double lr = schedule.learningRate(step);
                    optimizer.step(params, grads, lr);
                    ParameterStore store = runtime.parameters();
                    for (String k : keys) {
                        store.update(k, new HostTensor(shapes.get(k), params.get(k).clone()));
                    }
                    step = stepNo;
                    tokensSeen += inputTokens;
                    losses.add(loss);
                    double secs = (System.nanoTime() - t0) / 1e9;
                    stepSecondsSum += secs;
                    double eta = stepSecondsSum / (step - startStep) * (totalSteps - step);
                    StepMetrics m = new StepMetrics(step, totalSteps, dataEpoch, loss, lr, norm, targets, inputTokens, secs,
                            inputTokens / Math.max(secs, 1e-9), eta);
                    logHistory.add(TrainerState.LogEntry.update(step, dataEpoch, loss, lr, norm));
                    listeners.forEach(l -> l.onStepEnd(m));
                    boolean last = step == totalSteps;
                    if (!eval.isEmpty() && ((config.evalEverySteps() > 0 && step % config.evalEverySteps() == 0) || last)) {
                        evaluate();
                    }
                    if (config.checkpointEverySteps() > 0 && step % config.checkpointEverySteps() == 0 && writesOutput()) {
                        writeCheckpoint();
                    }
                }
            } finally {
                runtime.setTraining(false);
            }
            boolean completed = step >= totalSteps;
            if (completed && config.saveFinal() && config.outputDir() != null && writesOutput()) {
                model.saveAdapter(adapterName, config.outputDir());
                LOG.info("saved the trained adapter '{}' to {}", adapterName, config.outputDir());
            }
            TrainingResult result = new TrainingResult(step, completed, List.copyOf(losses), lastEvalLoss, lastCheckpoint,
                    (System.nanoTime() - start) / 1e9);
            listeners.forEach(l -> l.onTrainEnd(result));
            return result;
        }

        List<int[]> batches(int e) {
            if (epochBatchesOf != e) {
                epochBatches = batcher.epochBatches(e);
                epochBatchesOf = e;
            }
            return epochBatches;
        }

        Map<String, float[]> accumulate(Map<String, float[]> acc, Map<String, HostTensor> grads) {
            Map<String, float[]> out = acc == null ? new LinkedHashMap<>() : acc;
            for (String k : keys) {
                HostTensor g = grads.get(k);
                float[] prev = out.get(k);
                if (prev == null) {
                    out.put(k, g == null ? new float[params.get(k).length] : g.data().clone());
                } else if (g != null) {
                    float[] d = g.data();
                    for (int i = 0; i < prev.length; i++) {
                        prev[i] += d[i];
                    }
                }
            }
            return out;
        }

        TrainingDivergedException diverged(long stepNo, String what) {
            String where = lastCheckpoint != null ? "the last good checkpoint is " + lastCheckpoint + " (resume from it)"
                    : config.outputDir() != null && Checkpoints.latest(config.outputDir()).isPresent()
                            ? "the last good checkpoint is " + Checkpoints.latest(config.outputDir()).get()
                            : "no checkpoint was written yet";
            Path good = lastCheckpoint != null ? lastCheckpoint
                    : config.outputDir() != null ? Checkpoints.latest(config.outputDir()).orElse(null) : null;
            return new TrainingDivergedException("training diverged at step " + stepNo + " (epoch " + epoch + "): " + what
                    + "; the update was not applied and " + where + ". Lower the learning rate (now " + config.learningRate()
                    + "), add warm-up, or clip gradients (max grad norm now " + config.maxGradNorm() + ")", stepNo, good);
        }

        void evaluate() {
            long t0 = System.nanoTime();
            runtime.setTraining(false);
            HookSet hooks = model.hooks();
            double sum = 0;
            long tokens = 0;
            try {
                List<TokenizedExample> sorted = new ArrayList<>(eval);
                sorted.sort(Comparator.comparingInt(TokenizedExample::length));
                for (int s = 0; s < sorted.size(); s += config.evalBatchSize()) {
                    TrainBatch b = LengthBucketBatcher.collate(sorted.subList(s, Math.min(sorted.size(), s + config.evalBatchSize())),
                            padId());
                    LossResult r = runtime.lossAndGradients(b, hooks, false);
                    sum += r.lossSum();
                    tokens += r.tokens();
                }
            } finally {
                runtime.setTraining(true);
            }
            lastEvalLoss = tokens == 0 ? Double.NaN : sum / tokens;
            logHistory.add(TrainerState.LogEntry.evaluation(step, lastEvalLoss));
            EvalMetrics m = new EvalMetrics(step, lastEvalLoss, tokens, (System.nanoTime() - t0) / 1e9);
            LOG.info("step {}: eval loss {}", step, lastEvalLoss);
            listeners.forEach(l -> l.onEval(m));
        }

        // ---- checkpoints: the files are Checkpoints' and TrainerState's ---------------------------

        void writeCheckpoint() {
            Path dir = Checkpoints.write(config.outputDir(), state(), model, optimizer, shapes);
            lastCheckpoint = dir;
            Checkpoints.prune(config.outputDir(), config.keepCheckpoints(), step);
            LOG.info("step {}: checkpoint {}", step, dir);
            listeners.forEach(l -> l.onCheckpoint(step, dir));
        }

        TrainerState state() {
            TrainerState.Data data = new TrainerState.Data(batcher.size(), Long.toHexString(batcher.fingerprint()));
            TrainerState.Rng rng = new TrainerState.Rng(config.seed(), "per epoch: SplittableRandom(seed, epoch) shuffle + length buckets",
                    "reseeded before every micro-batch from (seed, step, micro-batch)");
            TrainerState.Schedule sched = new TrainerState.Schedule(schedule.type().name().toLowerCase(Locale.ROOT),
                    schedule.baseLearningRate(), schedule.warmupSteps(), schedule.totalSteps(),
                    step < totalSteps ? schedule.learningRate(step) : 0.0);
            TrainerState.OptimizerInfo opt = new TrainerState.OptimizerInfo(optimizer.name(), optimizer.steps(), config.toString());
            return new TrainerState(TrainerState.FORMAT, step, totalSteps, epoch, batchIndex, batcher.batchesPerEpoch(), tokensSeen,
                    adapterName, adapter.config().peftType(), config.batchSize(), config.gradientAccumulationSteps(), config.shuffle(),
                    config.bucketWindowBatches(), data, rng, sched, opt, lastEvalLoss, logHistory);
        }

        void restore(Path dir) {
            TrainerState saved = Checkpoints.readState(dir);
            Path stateFile = dir.resolve(Checkpoints.STATE);
            saved.requireSameRun(state(), stateFile);
            if (saved.totalSteps() != totalSteps) {
                LOG.warn("{}: the run was planned for {} steps, now {}; the schedule follows the new total", stateFile, saved.totalSteps(),
                        totalSteps);
            }
            Checkpoints.loadAdapter(dir, model, adapterName);
            ParameterStore store = runtime.parameters();
            for (String k : keys) {
                params.put(k, store.get(k).data());
            }
            Checkpoints.loadOptimizer(dir, optimizer, saved.optimizer().steps());
            step = saved.globalStep();
            epoch = saved.epoch();
            batchIndex = saved.batchInEpoch();
            tokensSeen = saved.tokensSeen();
            lastEvalLoss = saved.lastEvalLossOrNaN();
            logHistory.addAll(saved.logHistory());
            lastCheckpoint = dir;
            LOG.info("resumed from {} at step {} (epoch {}, batch {})", dir, step, epoch, batchIndex);
        }
    }

    /** Which gradients hold NaN or Inf and how many of their elements (see {@link NonFiniteGradientGuard#describe}). */
    static String describeNonFinite(Map<String, HostTensor> grads) {
        return NonFiniteGradientGuard.describe(grads);
    }

    /**
     * How many micro-batches were computed twice because their gradients were non-finite at a
     * finite loss (see {@link NonFiniteGradientGuard}).
     */
    public long recomputedMicroBatches() {
        return guard.recomputed();
    }

    static int realTokens(TrainBatch b) {
        int n = 0;
        if (b.attentionMask() == null) {
            for (int[] r : b.inputIds()) {
                n += r.length;
            }
            return n;
        }
        for (int[] r : b.attentionMask()) {
            for (int m : r) {
                n += m;
            }
        }
        return n;
    }

    /** A well-mixed 64-bit seed for (seed, step, micro-batch) (SplitMix64 finaliser). */
    static long mix(long seed, long step, int micro) {
        long z = seed + 0x9E3779B97F4A7C15L * (step * 1024 + micro + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
