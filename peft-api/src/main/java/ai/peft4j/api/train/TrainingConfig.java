package ai.peft4j.api.train;

import ai.peft4j.api.Peft4jException;
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
 * }</pre>
 */
public final class TrainingConfig {
    private final String optimizer;
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final double momentum;
    private final boolean nesterov;
    private final LearningRateSchedule.Type schedule;
    private final long warmupSteps;
    private final double warmupRatio;
    private final int batchSize;
    private final int gradientAccumulationSteps;
    private final long maxSteps;
    private final int epochs;
    private final double maxGradNorm;
    private final int evalEverySteps;
    private final int evalBatchSize;
    private final int checkpointEverySteps;
    private final int keepCheckpoints;
    private final Path outputDir;
    private final boolean saveFinal;
    private final long seed;
    private final boolean shuffle;
    private final int bucketWindowBatches;
    private final int padTokenId;
    private final String adapterName;
    private final GradientReducer gradientReducer;

    private TrainingConfig(Builder b) {
        this.optimizer = b.optimizer;
        this.learningRate = b.learningRate;
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.epsilon = b.epsilon;
        this.weightDecay = b.weightDecay;
        this.momentum = b.momentum;
        this.nesterov = b.nesterov;
        this.schedule = b.schedule;
        this.warmupSteps = b.warmupSteps;
        this.warmupRatio = b.warmupRatio;
        this.batchSize = b.batchSize;
        this.gradientAccumulationSteps = b.gradientAccumulationSteps;
        this.maxSteps = b.maxSteps;
        this.epochs = b.epochs;
        this.maxGradNorm = b.maxGradNorm;
        this.evalEverySteps = b.evalEverySteps;
        this.evalBatchSize = b.evalBatchSize > 0 ? b.evalBatchSize : b.batchSize;
        this.checkpointEverySteps = b.checkpointEverySteps;
        this.keepCheckpoints = b.keepCheckpoints;
        this.outputDir = b.outputDir;
        this.saveFinal = b.saveFinal;
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.bucketWindowBatches = b.bucketWindowBatches;
        this.padTokenId = b.padTokenId;
        this.adapterName = b.adapterName;
        this.gradientReducer = b.gradientReducer;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A new optimizer of the configured kind. */
    public Optimizer newOptimizer() {
        switch (optimizer) {
            case "adamw":
                return new AdamW(beta1, beta2, epsilon, weightDecay);
            case "sgd":
                return new Sgd(momentum, 0, nesterov, weightDecay);
            default:
                throw new IllegalStateException(optimizer);
        }
    }

    /** The schedule for a run of {@code totalSteps} updates (warm-up ratio resolved against it). */
    public LearningRateSchedule newSchedule(long totalSteps) {
        long warm = warmupSteps > 0 ? warmupSteps : (long) Math.ceil(warmupRatio * totalSteps);
        return new LearningRateSchedule(schedule, learningRate, warm, totalSteps);
    }

    public String optimizer() {
        return optimizer;
    }

    public double learningRate() {
        return learningRate;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public LearningRateSchedule.Type schedule() {
        return schedule;
    }

    public int batchSize() {
        return batchSize;
    }

    public int gradientAccumulationSteps() {
        return gradientAccumulationSteps;
    }

    /** The number of updates, or -1 to run {@link #epochs()} epochs. */
    public long maxSteps() {
        return maxSteps;
    }

    public int epochs() {
        return epochs;
    }

    /** Global-norm clipping threshold; 0 turns clipping off. */
    public double maxGradNorm() {
        return maxGradNorm;
    }

    public int evalEverySteps() {
        return evalEverySteps;
    }

    public int evalBatchSize() {
        return evalBatchSize;
    }

    public int checkpointEverySteps() {
        return checkpointEverySteps;
    }

    public int keepCheckpoints() {
        return keepCheckpoints;
    }

    public Path outputDir() {
        return outputDir;
    }

    public boolean saveFinal() {
        return saveFinal;
    }

    public long seed() {
        return seed;
    }

    public boolean shuffle() {
        return shuffle;
    }

    public int bucketWindowBatches() {
        return bucketWindowBatches;
    }

    /** The id used to pad batches, or -1 for the model's pad (else EOS, else 0). */
    public int padTokenId() {
        return padTokenId;
    }

    /** The adapter to train, or null for the single active adapter. */
    public String adapterName() {
        return adapterName;
    }

    /** How updates are combined across data-parallel workers; {@link GradientReducer#SINGLE_PROCESS} by default. */
    public GradientReducer gradientReducer() {
        return gradientReducer;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s lr=%g wd=%g schedule=%s warmup=%d/%.3f batch=%dx%d steps=%d epochs=%d clip=%g seed=%d",
                optimizer, learningRate, weightDecay, schedule, warmupSteps, warmupRatio, batchSize, gradientAccumulationSteps,
                maxSteps, epochs, maxGradNorm, seed);
    }

    /** Builds a {@link TrainingConfig}; every setting is optional. */
    public static final class Builder {
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
        private Path outputDir;
        private boolean saveFinal = true;
        private long seed = 42;
        private boolean shuffle = true;
        private int bucketWindowBatches = 50;
        private int padTokenId = -1;
        private String adapterName;
        private GradientReducer gradientReducer = GradientReducer.SINGLE_PROCESS;

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
            check(gradientReducer.worldSize() >= 1 && gradientReducer.rank() >= 0 && gradientReducer.rank() < gradientReducer.worldSize(),
                    "gradient reducer rank " + gradientReducer.rank() + " is outside 0.." + (gradientReducer.worldSize() - 1));
            if (optimizer.equals("sgd")) {
                new Sgd(momentum, 0, nesterov, weightDecay); // validates
            } else {
                new AdamW(beta1, beta2, epsilon, weightDecay);
            }
            return new TrainingConfig(this);
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new Peft4jException("training config: " + message);
            }
        }
    }
}
