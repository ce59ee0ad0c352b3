package ai.peft4j.spark;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.Example;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.train.LearningRateSchedule;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingResult;
import ai.peft4j.examples.cli.GenerationDefaults;
import ai.peft4j.examples.cli.LoadedModel;
import ai.peft4j.examples.train.FineTuneJob;
import com.google.gson.JsonParser;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Data-parallel training of an adapter (LoRA, prompt tuning, any method plugin) across the
 * tasks of one Spark barrier stage. Every task loads the base model, creates the same adapter
 * (same seed), and runs the shared {@code Trainer} over the same data; in each update a task
 * computes the loss and gradients of its shard of the global batch only, and a
 * {@link BarrierGradientReducer} sums loss, token counts and gradients over all tasks with
 * {@code BarrierTaskContext.allGather} before the trainer divides by the global token count,
 * clips and steps. So N tasks with global batch B follow the single-process loss trace of batch B
 * (to float rounding), and every replica ends with the same adapter. Task 0 writes checkpoints
 * and the final adapter into the output directory exactly as a single-process run does.
 *
 * <p>Needs N free task slots at once (barrier mode launches all tasks together or none). If any
 * task fails, Spark restarts the whole stage; a run with {@code resume} continues from the newest
 * checkpoint. Paths are read with plain file IO on the executors: on a cluster the model
 * directory and the output directory (checkpoints included) must be on storage every node sees.
 * Run one training task per executor ({@code spark.task.cpus} = {@code spark.executor.cores}):
 * tasks in one JVM take turns computing gradients (DJL allows one gradient collector per JVM).
 *
 * <pre>{@code
 * DataParallelTraining job = DataParallelTraining.builder(ModelSpec.of("base"), "lora")
 *         .optMethodConfig("{\"r\": 8, \"lora_alpha\": 32, \"target_modules\": [\"q_proj\", \"v_proj\"]}")
 *         .optTasks(4).optBatchSize(32).optEpochs(1).optLearningRate(2e-3).optOutputDir("runs/lora").build();
 * DataParallelTraining.Result r = job.train(JavaSparkContext.fromSparkContext(spark.sparkContext()), examples);
 * System.out.println(r.losses() + " " + r.medianAllGatherMillis() + " ms per all-gather");
 * }</pre>
 */
public final class DataParallelTraining implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ModelSpec model;
    private final String method;
    private final String methodConfig;
    private final String adapterName;
    private final int tasks;
    private final String optimizer;
    private final double learningRate;
    private final double weightDecay;
    private final String schedule;
    private final long warmupSteps;
    private final int batchSize;
    private final int gradientAccumulationSteps;
    private final long maxSteps;
    private final int epochs;
    private final double maxGradNorm;
    private final int maxLength;
    private final int checkpointEverySteps;
    private final int keepCheckpoints;
    private final String outputDir;
    private final boolean resume;
    private final long seed;

    private DataParallelTraining(Builder b) {
        if (!b.model.adapters().isEmpty()) {
            throw new Peft4jException("data-parallel training creates its adapter; the model spec must not load adapters (has "
                    + b.model.adapters().keySet() + ")");
        }
        this.model = b.model;
        this.method = PeftMethods.byName(b.method).name(); // fails early, listing the installed methods
        this.methodConfig = b.methodConfig;
        this.adapterName = b.adapterName;
        this.tasks = b.tasks;
        this.optimizer = b.optimizer;
        this.learningRate = b.learningRate;
        this.weightDecay = b.weightDecay;
        this.schedule = b.schedule;
        this.warmupSteps = b.warmupSteps;
        this.batchSize = b.batchSize;
        this.gradientAccumulationSteps = b.gradientAccumulationSteps;
        this.maxSteps = b.maxSteps;
        this.epochs = b.epochs;
        this.maxGradNorm = b.maxGradNorm;
        this.maxLength = b.maxLength;
        this.checkpointEverySteps = b.checkpointEverySteps;
        this.keepCheckpoints = b.keepCheckpoints;
        this.outputDir = b.outputDir;
        this.resume = b.resume;
        this.seed = b.seed;
        trainingBuilder().build(); // validates the settings before any task starts
        parseConfig();
    }

    /** A job training a new {@code method} adapter on {@code model}. */
    public static Builder builder(ModelSpec model, String method) {
        return new Builder(model, method);
    }

    /**
     * The trainer settings every task (and an equivalent single-process run) uses; add
     * {@code optGradientReducer} for data parallelism.
     */
    public TrainingConfig.Builder trainingBuilder() {
        TrainingConfig.Builder b = TrainingConfig.builder().optOptimizer(optimizer).optLearningRate(learningRate).optWeightDecay(weightDecay)
                .optSchedule(LearningRateSchedule.Type.parse(schedule)).optWarmupSteps(warmupSteps).optBatchSize(batchSize)
                .optGradientAccumulationSteps(gradientAccumulationSteps).optMaxGradNorm(maxGradNorm).optCheckpointEverySteps(checkpointEverySteps)
                .optKeepCheckpoints(keepCheckpoints).optSeed(seed).optOutputDir(outputDir == null ? null : Path.of(outputDir));
        return maxSteps > 0 ? b.optMaxSteps(maxSteps) : b.optEpochs(epochs);
    }

    /** The method config, parsed as the method plugin reads it. */
    public PeftConfig parseConfig() {
        return PeftMethods.byName(method).parseConfig(JsonParser.parseString(methodConfig).getAsJsonObject(), "spark train");
    }

    public ModelSpec model() {
        return model;
    }

    public String adapterName() {
        return adapterName;
    }

    public long seed() {
        return seed;
    }

    public int tasks() {
        return tasks;
    }

    /** The longest training sequence, or 0 for the model's context. */
    public int maxLength() {
        return maxLength;
    }

    /**
     * Trains on {@code train} (prompt, completion pairs, shipped to the tasks as a broadcast) and
     * returns when every task has finished. The output directory is checked on the driver first:
     * one holding checkpoints is refused unless {@code resume}, which continues from the newest.
     *
     * @throws Peft4jException if the replicas disagree at the end (they never should)
     */
    public Result train(JavaSparkContext spark, List<Example> train) {
        if (spark.master().startsWith("local") && tasks > spark.defaultParallelism()) {
            // Spark would retry the barrier stage's slot check for minutes before giving up.
            throw new Peft4jException(tasks + " data-parallel tasks need " + tasks + " task slots at once, but " + spark.master() + " has "
                    + spark.defaultParallelism() + "; use --tasks " + spark.defaultParallelism() + " or a larger local[N]");
        }
        Optional<Path> checkpoint = FineTuneJob.checkpointToResume(outputDir == null ? null : Path.of(outputDir), resume);
        ArrayList<String[]> pairs = new ArrayList<>(train.size());
        for (Example e : train) {
            pairs.add(new String[] {e.prompt(), e.completion()});
        }
        Broadcast<ArrayList<String[]>> data = spark.broadcast(pairs);
        long t0 = System.nanoTime();
        List<WorkerResult> results;
        try {
            ClassTag<WorkerResult> tag = ClassTag$.MODULE$.apply(WorkerResult.class);
            results = spark.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).rdd().barrier()
                    .mapPartitions(new Worker(this, data, checkpoint.map(Path::toString).orElse(null)), false, tag).toJavaRDD().collect();
        } finally {
            data.destroy();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<WorkerResult> sorted = new ArrayList<>(results);
        sorted.sort((a, b) -> Integer.compare(a.rank(), b.rank()));
        WorkerResult first = sorted.get(0);
        TreeSet<Long> fingerprints = new TreeSet<>();
        for (WorkerResult w : sorted) {
            fingerprints.add(w.fingerprint());
            if (!w.losses().equals(first.losses())) {
                throw new Peft4jException("task " + w.rank() + " saw other losses than task 0: " + w.losses() + " vs " + first.losses());
            }
        }
        if (fingerprints.size() != 1) {
            throw new Peft4jException("the " + tasks + " replicas ended with different adapter values (fingerprints " + fingerprints + ")");
        }
        List<Double> allGather = new ArrayList<>();
        sorted.forEach(w -> w.allGatherMillis().forEach(allGather::add));
        return new Result(first.steps(), first.losses(), tasks, allGather, first.messageChars(), seconds,
                outputDir == null ? null : Path.of(outputDir), checkpoint.orElse(null));
    }

    /**
     * A finished run.
     *
     * @param steps optimizer steps done (in total, a resumed run included)
     * @param losses the loss of every update this run made, as a single process would log it
     * @param tasks the number of data-parallel tasks
     * @param allGatherMillis every all-gather of every task, in milliseconds (waits for stragglers included)
     * @param messageChars one task's all-gather message per update, in characters (bytes)
     * @param seconds wall time of the barrier stage, model loading included
     * @param outputDir where task 0 wrote the adapter and checkpoints, or null
     * @param resumedFrom the checkpoint the run continued from, or null
     */
    public record Result(long steps, List<Double> losses, int tasks, List<Double> allGatherMillis, long messageChars, double seconds,
            Path outputDir, Path resumedFrom) implements Serializable {
        /** The median all-gather time, or NaN for a single task. */
        public double medianAllGatherMillis() {
            double[] v = allGatherMillis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }
    }

    /** What one task reports back. */
    record WorkerResult(int rank, long steps, List<Double> losses, List<Double> allGatherMillis, long messageChars, long fingerprint)
            implements Serializable {}

    /** The body of one barrier task. */
    private static final class Worker extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<WorkerResult>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final DataParallelTraining job;
        private final Broadcast<ArrayList<String[]>> data;
        private final String checkpoint;

        Worker(DataParallelTraining job, Broadcast<ArrayList<String[]>> data, String checkpoint) {
            this.job = job;
            this.data = data;
            this.checkpoint = checkpoint;
        }

        @Override
        public scala.collection.Iterator<WorkerResult> apply(scala.collection.Iterator<Integer> ignored) {
            BarrierGradientReducer reducer = new BarrierGradientReducer(BarrierTaskContext.get());
            List<Example> examples = new ArrayList<>();
            for (String[] p : data.value()) {
                examples.add(new Example(p[0], p[1]));
            }
            WorkerResult result;
            try (LoadedModel m = job.model.open()) {
                TrainingResult r = job.runOn(m, examples, job.trainingBuilder().optGradientReducer(reducer),
                        checkpoint == null ? null : Path.of(checkpoint));
                result = new WorkerResult(reducer.rank(), r.steps(), new ArrayList<>(r.losses()), new ArrayList<>(reducer.allGatherMillis()),
                        reducer.messageChars(), fingerprint(m.model(), job.adapterName));
            }
            return CollectionConverters.asScala(List.of(result).iterator());
        }
    }

    /**
     * Runs this job's training on an opened model with the given trainer settings: what every
     * task does, and, with the default single-process settings, the equivalent one-process run.
     */
    public TrainingResult runOn(LoadedModel m, List<Example> examples, TrainingConfig.Builder training, Path resumeFrom) {
        m.model().setSeed(seed);
        Path dir = Path.of(model.modelDir());
        int eos = GenerationDefaults.read(dir).eosTokenIds().stream().findFirst()
                .orElseThrow(() -> new Peft4jException(dir + ": no eos_token_id in generation_config.json or config.json"));
        int length = maxLength > 0 ? maxLength : m.checkpoint().config().maxPositions();
        return FineTuneJob.runFrom(m.model(), m.tokenizer().orElseThrow(() -> new Peft4jException(dir + ": no tokenizer.json")), adapterName,
                parseConfig(), examples, null, training, length, eos, resumeFrom, null);
    }

    /** A hash of the adapter's values: equal on every replica after a correct run. */
    static long fingerprint(PeftModel model, String adapter) {
        ParameterStore store = model.runtime().parameters();
        long h = 1;
        for (String key : new TreeSet<>(model.adapter(adapter).stateKeys().values())) {
            h = 31 * h + key.hashCode();
            h = 31 * h + Arrays.hashCode(store.get(key).data());
        }
        return h;
    }

    /** Builds a {@link DataParallelTraining}; defaults follow {@code peft4j summarize train}. */
    public static final class Builder {
        private final ModelSpec model;
        private final String method;
        private String methodConfig = "{}";
        private String adapterName = "default";
        private int tasks = 2;
        private String optimizer = "adamw";
        private double learningRate = 2e-3;
        private double weightDecay;
        private String schedule = "linear";
        private long warmupSteps;
        private int batchSize = 8;
        private int gradientAccumulationSteps = 1;
        private long maxSteps = -1;
        private int epochs = 1;
        private double maxGradNorm = 1.0;
        private int maxLength;
        private int checkpointEverySteps;
        private int keepCheckpoints = 3;
        private String outputDir;
        private boolean resume;
        private long seed = 42;

        private Builder(ModelSpec model, String method) {
            this.model = model;
            this.method = method;
        }

        /** The method config as PEFT's {@code adapter_config.json} keys (JSON text). */
        public Builder optMethodConfig(String json) {
            this.methodConfig = json;
            return this;
        }

        public Builder optAdapterName(String name) {
            this.adapterName = name;
            return this;
        }

        /** Data-parallel tasks (barrier stage width); default 2. */
        public Builder optTasks(int n) {
            if (n < 1) {
                throw new Peft4jException("tasks must be >= 1, got " + n);
            }
            this.tasks = n;
            return this;
        }

        public Builder optOptimizer(String name) {
            this.optimizer = name;
            return this;
        }

        public Builder optLearningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        public Builder optWeightDecay(double wd) {
            this.weightDecay = wd;
            return this;
        }

        /** {@code linear} (default), {@code cosine} or {@code constant}. */
        public Builder optSchedule(String name) {
            this.schedule = name;
            return this;
        }

        public Builder optWarmupSteps(long n) {
            this.warmupSteps = n;
            return this;
        }

        /** The global batch: all tasks together compute this many examples per micro-batch. */
        public Builder optBatchSize(int n) {
            this.batchSize = n;
            return this;
        }

        public Builder optGradientAccumulationSteps(int n) {
            this.gradientAccumulationSteps = n;
            return this;
        }

        /** Stop after N updates (instead of epochs). */
        public Builder optMaxSteps(long n) {
            this.maxSteps = n;
            return this;
        }

        public Builder optEpochs(int n) {
            this.epochs = n;
            return this;
        }

        public Builder optMaxGradNorm(double norm) {
            this.maxGradNorm = norm;
            return this;
        }

        /** Longest training sequence in tokens (default: the model's context). */
        public Builder optMaxLength(int n) {
            this.maxLength = n;
            return this;
        }

        public Builder optCheckpointEverySteps(int n) {
            this.checkpointEverySteps = n;
            return this;
        }

        public Builder optKeepCheckpoints(int n) {
            this.keepCheckpoints = n;
            return this;
        }

        /** Where task 0 writes checkpoints and the final adapter (PEFT format). */
        public Builder optOutputDir(String dir) {
            this.outputDir = dir;
            return this;
        }

        /** Continue from the newest checkpoint in the output directory. */
        public Builder optResume(boolean resume) {
            this.resume = resume;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        public DataParallelTraining build() {
            return new DataParallelTraining(this);
        }
    }
}
