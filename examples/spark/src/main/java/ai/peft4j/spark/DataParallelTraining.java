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
 *
 * // any trainer setting: a whole TrainingConfig (the global batch is its batch size)
 * DataParallelTraining cosine = DataParallelTraining.builder(ModelSpec.of("base"), "lora").optTasks(4)
 *         .optTraining(DataParallelTraining.defaultTraining().optSchedule(LearningRateSchedule.Type.COSINE).optWarmupRatio(0.1).build())
 *         .build();
 * }</pre>
 */
public final class DataParallelTraining implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ModelSpec model;
    private final String method;
    private final String methodConfig;
    private final String adapterName;
    private final int tasks;
    private final int maxLength;
    private final boolean resume;
    /** The trainer settings, declared and validated once, in {@link TrainingConfig}; shipped to the tasks with the job. */
    private final TrainingConfig training;

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
        this.maxLength = b.maxLength;
        this.resume = b.resume;
        this.training = b.training.build(); // validates the settings before any task starts
        parseConfig();
    }

    /**
     * The trainer settings a job starts from, as {@code peft4j summarize train}: {@link TrainingConfig}'s
     * defaults with learning rate 2e-3 and one epoch.
     */
    public static TrainingConfig.Builder defaultTraining() {
        return TrainingConfig.builder().optLearningRate(2e-3).optEpochs(1);
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
        return training.toBuilder();
    }

    /** The trainer settings of this job. */
    public TrainingConfig training() {
        return training;
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
        return training.seed();
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
        Optional<Path> checkpoint = FineTuneJob.checkpointToResume(training.outputDir(), resume);
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
        return new Result(first.steps(), first.losses(), tasks, allGather, first.messageChars(), seconds, training.outputDir(),
                checkpoint.orElse(null));
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
    public TrainingResult runOn(LoadedModel m, List<Example> examples, TrainingConfig.Builder settings, Path resumeFrom) {
        m.model().setSeed(training.seed());
        Path dir = Path.of(model.modelDir());
        int eos = GenerationDefaults.read(dir).eosTokenIds().stream().findFirst()
                .orElseThrow(() -> new Peft4jException(dir + ": no eos_token_id in generation_config.json or config.json"));
        int length = maxLength > 0 ? maxLength : m.checkpoint().config().maxPositions();
        return FineTuneJob.runFrom(m.model(), m.tokenizer().orElseThrow(() -> new Peft4jException(dir + ": no tokenizer.json")), adapterName,
                parseConfig(), examples, null, settings, length, eos, resumeFrom, null);
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

    /**
     * Builds a {@link DataParallelTraining}. The trainer settings are a {@link TrainingConfig}
     * ({@link #optTraining}, starting from {@link #defaultTraining()}); the setters for the common
     * ones are shorthands that change it.
     */
    public static final class Builder {
        private final ModelSpec model;
        private final String method;
        private String methodConfig = "{}";
        private String adapterName = "default";
        private int tasks = 2;
        private int maxLength;
        private boolean resume;
        private TrainingConfig.Builder training = defaultTraining();

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

        /**
         * Every trainer setting at once, replacing the earlier ones; its batch size is the global
         * batch. Later shorthand setters change this config's settings.
         */
        public Builder optTraining(TrainingConfig config) {
            this.training = config.toBuilder();
            return this;
        }

        /** Longest training sequence in tokens (default: the model's context). */
        public Builder optMaxLength(int n) {
            this.maxLength = n;
            return this;
        }

        /** Continue from the newest checkpoint in the output directory. */
        public Builder optResume(boolean resume) {
            this.resume = resume;
            return this;
        }

        // ---- shorthands for TrainingConfig settings ---------------------------------------------

        public Builder optOptimizer(String name) {
            training.optOptimizer(name);
            return this;
        }

        public Builder optLearningRate(double lr) {
            training.optLearningRate(lr);
            return this;
        }

        public Builder optWeightDecay(double wd) {
            training.optWeightDecay(wd);
            return this;
        }

        /** {@code linear} (default), {@code cosine} or {@code constant}. */
        public Builder optSchedule(String name) {
            training.optSchedule(LearningRateSchedule.Type.parse(name));
            return this;
        }

        public Builder optWarmupSteps(long n) {
            training.optWarmupSteps(n);
            return this;
        }

        /** The global batch: all tasks together compute this many examples per micro-batch. */
        public Builder optBatchSize(int n) {
            training.optBatchSize(n);
            return this;
        }

        public Builder optGradientAccumulationSteps(int n) {
            training.optGradientAccumulationSteps(n);
            return this;
        }

        /** Stop after N updates (instead of epochs); 0 or less runs the epochs, as the CLI's default -1 does. */
        public Builder optMaxSteps(long n) {
            training.optMaxSteps(n > 0 ? n : -1);
            return this;
        }

        public Builder optEpochs(int n) {
            training.optEpochs(n);
            return this;
        }

        public Builder optMaxGradNorm(double norm) {
            training.optMaxGradNorm(norm);
            return this;
        }

        public Builder optCheckpointEverySteps(int n) {
            training.optCheckpointEverySteps(n);
            return this;
        }

        public Builder optKeepCheckpoints(int n) {
            training.optKeepCheckpoints(n);
            return this;
        }

        /** Where task 0 writes checkpoints and the final adapter (PEFT format). */
        public Builder optOutputDir(String dir) {
            training.optOutputDir(dir == null ? null : Path.of(dir));
            return this;
        }

        public Builder optSeed(long seed) {
            training.optSeed(seed);
            return this;
        }

        public DataParallelTraining build() {
            return new DataParallelTraining(this);
        }
    }
}
