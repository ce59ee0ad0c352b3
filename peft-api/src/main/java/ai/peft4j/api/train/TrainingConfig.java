package ai.peft4j.api.train;

import ai.peft4j.api.Peft4jException;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Everything that shapes a training run. Defaults follow Hugging Face {@code TrainingArguments}:
 * AdamW (β 0.9/0.999, ε 1e-8, weight decay 0), lr 5e-5, linear schedule without warm-up, batch
 * 8, 3 epochs, clipping at global norm 1.0, seed 42.
 *
 * <pre>{@code
 * TrainingConfig cfg = TrainingConfig.builder()
 *     .optOptimizer("adamw").optLearningRate(2e-4).optSchedule(LearningRateSchedule.Type.COSINE).optWarmupSteps(50)
 *     .optBatchSize(4).optGradientAccumulationSteps(4).optMaxSteps(1000)
 *     .optEvalEverySteps(100).optCheckpointEverySteps(200).optKeepCheckpoints(3).optOutputDir(Path.of("out"))
 *     .build();
 * TrainingConfig worker = cfg.toBuilder().optGradientReducer(reducer).build();   // the same settings, data-parallel
 * }</pre>
 *
 * <p>A config is immutable and {@link Serializable} (a distributed job ships it to its workers);
 * the {@linkplain Builder#optGradientReducer gradient reducer} belongs to one worker and is not
 * serialized: a deserialized config trains as a single process until a worker sets its own.
 */
public final class TrainingConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * A private copy of the builder that made this config: the settings are declared once, in
     * {@link Builder}, and {@link #toBuilder()} is a copy of it. Serializable so that a job can
     * ship a config to its workers (a Spark task); the gradient reducer is not part of it.
     */
    private final Builder s;

    private TrainingConfig(Builder b) {
        this.s = b.copy();
    }

    /** A builder holding every setting of this config, to derive another (a worker's, with its reducer). */
    public Builder toBuilder() {
        return s.copy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A new optimizer of the configured kind. */
    public Optimizer newOptimizer() {
        switch (s.optimizer) {
            case "adamw":
                return new AdamW(s.beta1, s.beta2, s.epsilon, s.weightDecay);
            case "sgd":
                return new Sgd(s.momentum, 0, s.nesterov, s.weightDecay);
            default:
                throw new IllegalStateException(s.optimizer);
        }
    }

    /** The schedule for a run of {@code totalSteps} updates (warm-up ratio resolved against it). */
    public LearningRateSchedule newSchedule(long totalSteps) {
        long warm = s.warmupSteps > 0 ? s.warmupSteps : (long) Math.ceil(s.warmupRatio * totalSteps);
        return new LearningRateSchedule(s.schedule, s.learningRate, warm, totalSteps);
    }

    public String optimizer() {
        return s.optimizer;
    }

    public double learningRate() {
        return s.learningRate;
    }

    public double weightDecay() {
        return s.weightDecay;
    }

    public LearningRateSchedule.Type schedule() {
        return s.schedule;
    }

    public int batchSize() {
        return s.batchSize;
    }

    public int gradientAccumulationSteps() {
        return s.gradientAccumulationSteps;
    }

    /** The number of updates, or -1 to run {@link #epochs()} epochs. */
    public long maxSteps() {
        return s.maxSteps;
    }

    public int epochs() {
        return s.epochs;
    }

    /** Global-norm clipping threshold; 0 turns clipping off. */
    public double maxGradNorm() {
        return s.maxGradNorm;
    }

    public int evalEverySteps() {
        return s.evalEverySteps;
    }

    public int evalBatchSize() {
        return s.evalBatchSize > 0 ? s.evalBatchSize : s.batchSize;
    }

    public int checkpointEverySteps() {
        return s.checkpointEverySteps;
    }

    public int keepCheckpoints() {
        return s.keepCheckpoints;
    }

    public Path outputDir() {
        return s.outputDir;
    }

    public boolean saveFinal() {
        return s.saveFinal;
    }

    public long seed() {
        return s.seed;
    }

    public boolean shuffle() {
        return s.shuffle;
    }

    public int bucketWindowBatches() {
        return s.bucketWindowBatches;
    }

    /** The id used to pad batches, or -1 for the model's pad (else EOS, else 0). */
    public int padTokenId() {
        return s.padTokenId;
    }

    /** The adapter to train, or null for the single active adapter. */
    public String adapterName() {
        return s.adapterName;
    }

    /** How updates are combined across data-parallel workers; {@link GradientReducer#SINGLE_PROCESS} by default. */
    public GradientReducer gradientReducer() {
        return s.reducer();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s lr=%g wd=%g schedule=%s warmup=%d/%.3f batch=%dx%d steps=%d epochs=%d clip=%g seed=%d",
                s.optimizer, s.learningRate, s.weightDecay, s.schedule, s.warmupSteps, s.warmupRatio, s.batchSize,
                s.gradientAccumulationSteps, s.maxSteps, s.epochs, s.maxGradNorm, s.seed);
    }

    /** Builds a {@link TrainingConfig}; every setting is optional. */
    public static final class Builder implements Serializable, Cloneable {
        private static final long serialVersionUID = 1L;
        private String optimizer = "adamw";
        private double learningRate = 5e-5;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double epsilon = 1e-8;
        private double weightDecay = 0;
        private double momentum = 0;
        private boolean nesterov;
        private LearningRateSchedule.Type schedule = LearningRateSchedule.Type.LINEAR;
        private long warmupSteps;
        private double warmupRatio;
        private int batchSize = 8;
        private int gradientAccumulationSteps = 1;
        private long maxSteps = -1;
        private int epochs = 3;
        private double maxGradNorm = 1.0;
        private int evalEverySteps;
        private int evalBatchSize;
        private int checkpointEverySteps;
        private int keepCheckpoints = 3;
        private transient Path outputDir; // Path is not Serializable: written as its string (writeObject)
        private boolean saveFinal = true;
        private long seed = 42;
        private boolean shuffle = true;
        private int bucketWindowBatches = 50;
        private int padTokenId = -1;
        private String adapterName;
        private transient GradientReducer gradientReducer = GradientReducer.SINGLE_PROCESS; // one worker's, never shipped

        /** {@code adamw} (default) or {@code sgd}. */
        public Builder optOptimizer(String name) {
            this.optimizer = name.trim().toLowerCase(Locale.ROOT);
            return this;
        }

        public Builder optLearningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        public Builder optAdamBetas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        public Builder optAdamEpsilon(double eps) {
            this.epsilon = eps;
            return this;
        }

        /** Decoupled for AdamW, L2 (added to the gradient) for SGD, as in PyTorch. */
        public Builder optWeightDecay(double wd) {
            this.weightDecay = wd;
            return this;
        }

        /** SGD momentum (0 = plain SGD). */
        public Builder optMomentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        public Builder optNesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        public Builder optSchedule(LearningRateSchedule.Type type) {
            this.schedule = type;
            return this;
        }

        public Builder optWarmupSteps(long steps) {
            this.warmupSteps = steps;
            return this;
        }

        /** Warm-up as a fraction of the total updates (used when warm-up steps is 0). */
        public Builder optWarmupRatio(double ratio) {
            this.warmupRatio = ratio;
            return this;
        }

        /** Examples per forward/backward (micro-batch). */
        public Builder optBatchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /** Micro-batches per update; the loss is the token-weighted mean over all of them. */
        public Builder optGradientAccumulationSteps(int n) {
            this.gradientAccumulationSteps = n;
            return this;
        }

        /** A fixed number of updates (overrides epochs); -1 for epochs. */
        public Builder optMaxSteps(long n) {
            this.maxSteps = n;
            return this;
        }

        public Builder optEpochs(int n) {
            this.epochs = n;
            return this;
        }

        /** Global-norm clipping; 0 turns it off. */
        public Builder optMaxGradNorm(double norm) {
            this.maxGradNorm = norm;
            return this;
        }

        /** Evaluate every N updates (0 = only at the end, when an eval set is given). */
        public Builder optEvalEverySteps(int n) {
            this.evalEverySteps = n;
            return this;
        }

        public Builder optEvalBatchSize(int n) {
            this.evalBatchSize = n;
            return this;
        }

        /** Write {@code checkpoint-<step>} every N updates (0 = never); needs an output dir. */
        public Builder optCheckpointEverySteps(int n) {
            this.checkpointEverySteps = n;
            return this;
        }

        /** How many checkpoints to keep (oldest deleted first); at least 1. */
        public Builder optKeepCheckpoints(int n) {
            this.keepCheckpoints = n;
            return this;
        }

        public Builder optOutputDir(Path dir) {
            this.outputDir = dir;
            return this;
        }

        /** Save the trained adapter into the output dir when the run completes (default true). */
        public Builder optSaveFinal(boolean save) {
            this.saveFinal = save;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder optShuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Length-bucketing window in batches (1 = off); default 50. */
        public Builder optBucketWindowBatches(int n) {
            this.bucketWindowBatches = n;
            return this;
        }

        public Builder optPadTokenId(int id) {
            this.padTokenId = id;
            return this;
        }

        public Builder optAdapterName(String name) {
            this.adapterName = name;
            return this;
        }

        /**
         * Data-parallel training: the worker's rank, the worker count and the reduction of every
         * update (see {@link GradientReducer}). Default {@link GradientReducer#SINGLE_PROCESS}.
         */
        public Builder optGradientReducer(GradientReducer reducer) {
            this.gradientReducer = reducer == null ? GradientReducer.SINGLE_PROCESS : reducer;
            return this;
        }

        public TrainingConfig build() {
            if (!optimizer.equals("adamw") && !optimizer.equals("sgd")) {
                throw new Peft4jException("unknown optimizer '" + optimizer + "'; use adamw or sgd");
            }
            check(learningRate >= 0 && Double.isFinite(learningRate), "learning rate must be >= 0, got " + learningRate);
            check(batchSize >= 1, "batch size must be >= 1, got " + batchSize);
            check(gradientAccumulationSteps >= 1, "gradient accumulation steps must be >= 1, got " + gradientAccumulationSteps);
            check(maxSteps > 0 || (maxSteps == -1 && epochs >= 1), "set max steps > 0 or epochs >= 1");
            check(maxGradNorm >= 0, "max grad norm must be >= 0 (0 = off)");
            check(warmupSteps >= 0 && warmupRatio >= 0 && warmupRatio < 1, "warm-up steps >= 0 and 0 <= ratio < 1");
            check(evalEverySteps >= 0 && checkpointEverySteps >= 0, "eval and checkpoint intervals must be >= 0");
            check(keepCheckpoints >= 1, "keep checkpoints must be >= 1");
            check(bucketWindowBatches >= 1, "bucket window must be >= 1");
            check(checkpointEverySteps == 0 || outputDir != null, "checkpoints need an output directory");
            GradientReducer r = reducer();
            check(r.worldSize() >= 1 && r.rank() >= 0 && r.rank() < r.worldSize(),
                    "gradient reducer rank " + r.rank() + " is outside 0.." + (r.worldSize() - 1));
            if (optimizer.equals("sgd")) {
                new Sgd(momentum, 0, nesterov, weightDecay); // validates
            } else {
                new AdamW(beta1, beta2, epsilon, weightDecay);
            }
            return new TrainingConfig(this);
        }

        /** The reducer; a deserialized builder has none and trains as a single process. */
        GradientReducer reducer() {
            return gradientReducer == null ? GradientReducer.SINGLE_PROCESS : gradientReducer;
        }

        Builder copy() {
            try {
                return (Builder) clone();
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }

        private void writeObject(ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            out.writeObject(outputDir == null ? null : outputDir.toString());
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            String dir = (String) in.readObject();
            outputDir = dir == null ? null : Path.of(dir);
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new Peft4jException("training config: " + message);
            }
        }
    }
}
