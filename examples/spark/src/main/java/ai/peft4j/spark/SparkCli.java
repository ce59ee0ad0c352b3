package ai.peft4j.spark;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.Example;
import ai.peft4j.api.inject.Peft4jSettings;
import ai.peft4j.api.train.GradientSums;
import ai.peft4j.examples.cli.EngineFlags;
import ai.peft4j.examples.cli.SummarizeCommand;
import ai.peft4j.examples.cli.SummaryTrainingFlags;
import ai.peft4j.examples.summarization.SummarizationEval;
import ai.peft4j.examples.summarization.Summarizer;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * {@code peft4j-spark}: the Spark jobs from the command line, under {@code spark-submit} or on
 * their own in local mode ({@code --master local[N]}).
 *
 * <pre>{@code
 * peft4j-spark predict --master local[2] --model base --adapter runs/lora --data test.csv --out submission
 * peft4j-spark train --master local[2] --tasks 2 --model base --method lora --data train.csv --out runs/lora
 * peft4j-spark bench-allgather --master local[2] --tasks 2 --floats 294912
 * spark-submit --class ai.peft4j.spark.SparkCli --jars ... peft4j-spark.jar predict --model ... --data ... --out ...
 * }</pre>
 *
 * <p>Exit codes as {@code peft4j}: 0 success, 2 bad input (one {@code error:} line), 1 an
 * unexpected error.
 */
@Command(name = "peft4j-spark", mixinStandardHelpOptions = true,
        description = "peft4j on Apache Spark: distributed summarization and data-parallel adapter training.",
        subcommands = {SparkCli.Predict.class, SparkCli.Train.class, SparkCli.BenchAllGather.class, CommandLine.HelpCommand.class})
public final class SparkCli implements Callable<Integer> {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = execute(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the command line in-process (reusing an active SparkSession if there is one). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new SparkCli());
        cl.setOut(out);
        cl.setErr(err);
        boolean verbose = Arrays.asList(args).contains("--verbose");
        cl.setExecutionExceptionHandler((ex, c, parsed) -> handle(ex, verbose, c.getErr()));
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("error: " + oneLine(ex.getMessage()) + " (see '"
                    + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    static int handle(Exception ex, boolean verbose, PrintWriter err) {
        Throwable known = null;
        for (Throwable t = ex; t != null && known == null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Peft4jException || t instanceof IOException || t instanceof UncheckedIOException
                    || t instanceof IllegalArgumentException) {
                known = t;
            }
        }
        int code = known != null ? 2 : 1;
        err.println("error: " + (known != null ? oneLine(known.getMessage())
                : "internal error: " + ex.getClass().getSimpleName() + ": " + oneLine(ex.getMessage())
                        + (verbose ? "" : " (rerun with --verbose for the stack trace)")));
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    private static String oneLine(String message) {
        return message == null ? "(no message)" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** {@code --master} and {@code --conf}, and the session they give. */
    static final class SparkFlags {
        @Option(names = "--master", paramLabel = "URL", description = "Spark master, e.g. local[2] (default: spark-submit's).")
        String master;

        @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting; repeatable.")
        List<String> conf = new ArrayList<>();

        /** A session to run in, and whether this command owns (and so stops) it. */
        Session session(String appName) {
            SparkSession active = SparkSession.getActiveSession().getOrElse(() -> SparkSession.getDefaultSession().getOrElse(() -> null));
            if (active != null) {
                return new Session(active, false);
            }
            if (master == null && System.getProperty("spark.master") == null) {
                throw new Peft4jException("no Spark master: pass --master local[2] (or a cluster URL), or run under spark-submit");
            }
            SparkSession.Builder b = SparkSession.builder().appName(appName);
            if (master != null) {
                b.master(master);
            }
            for (String c : conf) {
                int eq = c.indexOf('=');
                if (eq <= 0) {
                    throw new Peft4jException("--conf expects KEY=VALUE, got '" + c + "'");
                }
                b.config(c.substring(0, eq), c.substring(eq + 1));
            }
            return new Session(b.getOrCreate(), true);
        }
    }

    record Session(SparkSession spark, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                spark.stop();
            }
        }
    }

    /** The engine settings the workers should use: the driver's resolved flags, shipped explicitly. */
    static ModelSpec modelSpec(Path model, EngineFlags engine) {
        Peft4jSettings s = engine.settings();
        return ModelSpec.of(model.toAbsolutePath().toString()).withEngine(s.engine(), s.device(), s.threads());
    }

    /** {@code predict}. */
    @Command(name = "predict", mixinStandardHelpOptions = true,
            description = "Summarize id,text[,adapter] documents as a Spark job (the same summaries as 'peft4j summarize predict').")
    static final class Predict implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model directory (visible to every executor).")
        Path model;

        @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT adapter directory; repeatable (rows choose one by name).")
        List<Path> adapters = new ArrayList<>();

        @Option(names = "--adapter-name", paramLabel = "NAME", description = "Name for the matching --adapter (default: default, adapter1, ...).")
        List<String> names = new ArrayList<>();

        @Option(names = "--default-adapter", paramLabel = "NAME",
                description = "Adapter for rows that name none (default: the only --adapter, else the base model; __base__ for the base).")
        String defaultAdapter;

        @Option(names = "--data", required = true, paramLabel = "PATH",
                description = "Documents: CSV with a header (id,text[,adapter]), JSONL (.jsonl/.json) or Parquet (.parquet or a directory).")
        String data;

        @Option(names = "--input-format", paramLabel = "F",
                description = "csv, json or parquet (default: from the name: .jsonl/.json, .parquet or a local directory, else csv).")
        String inputFormat;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (any Spark path), written by Spark.")
        String out;

        @Option(names = "--format", paramLabel = "F",
                description = "submission (default: one id,summary CSV part file, byte-identical to summarize predict), parquet or csv.")
        String format = "submission";

        @Option(names = "--partitions", paramLabel = "N", description = "Partitions of the generation stage (default: Spark's default parallelism).")
        int partitions;

        @Option(names = "--overwrite", description = "Replace --out if it exists.")
        boolean overwrite;

        @Mixin
        SummarizeCommand.Decoding decoding = new SummarizeCommand.Decoding();

        @Mixin
        EngineFlags engineFlags = new EngineFlags();

        @Mixin
        SparkFlags sparkFlags = new SparkFlags();

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (!List.of("submission", "parquet", "csv").contains(format)) {
                throw new Peft4jException("--format must be submission, parquet or csv, got '" + format + "'");
            }
            if (names.size() > adapters.size()) {
                throw new Peft4jException("--adapter-name given " + names.size() + " times for " + adapters.size() + " --adapter");
            }
            ModelSpec m = modelSpec(model, engineFlags);
            for (int i = 0; i < adapters.size(); i++) {
                m = m.withAdapter(i < names.size() ? names.get(i) : i == 0 ? "default" : "adapter" + i, adapters.get(i).toAbsolutePath().toString());
            }
            SparkSummarization job = SparkSummarization.builder(m).optDecoding(decoding.settings()).optDefaultAdapter(defaultAdapter)
                    .optPartitions(partitions).build();
            long t0 = System.nanoTime();
            try (Session s = sparkFlags.session("peft4j summarize")) {
                Dataset<Row> summaries = job.summarize(readDocuments(s.spark(), data, inputFormat));
                switch (format) {
                    case "submission" -> SparkSummarization.writeSubmission(summaries, out, overwrite);
                    case "parquet" -> summaries.write().mode(overwrite ? "overwrite" : "errorifexists").parquet(out);
                    default -> summaries.write().mode(overwrite ? "overwrite" : "errorifexists").option("header", true)
                            .option("escape", "\"").csv(out);
                }
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote the summaries (%s) to %s in %.1f s%n", format, out,
                    (System.nanoTime() - t0) / 1e9);
            return 0;
        }
    }

    /** {@link #readDocuments(SparkSession, String, String)} with the format taken from the name. */
    public static Dataset<Row> readDocuments(SparkSession spark, String path) {
        return readDocuments(spark, path, null);
    }

    /**
     * Reads documents as {@code summarize predict} does: CSV with a header (RFC 4180 quotes,
     * multi-line fields), JSONL, or Parquet; {@code path} is any Spark path (a local file,
     * {@code hdfs://}, {@code s3a://}, ...).
     *
     * @param format {@code csv}, {@code json} or {@code parquet}; null guesses from the name
     *     ({@code .jsonl}/{@code .json}, {@code .parquet} or a local directory, else CSV)
     */
    public static Dataset<Row> readDocuments(SparkSession spark, String path, String format) {
        String lower = path.toLowerCase(Locale.ROOT);
        String f = format != null ? format.toLowerCase(Locale.ROOT)
                : lower.endsWith(".jsonl") || lower.endsWith(".json") ? "json"
                : lower.endsWith(".parquet") || (!lower.contains("://") && Files.isDirectory(Path.of(path))) ? "parquet" : "csv";
        switch (f) {
            case "json":
                return spark.read().json(path);
            case "parquet":
                return spark.read().parquet(path);
            case "csv":
                break;
            default:
                throw new Peft4jException("--input-format must be csv, json or parquet, got '" + format + "'");
        }
        return spark.read().option("header", true).option("multiLine", true).option("escape", "\"").option("mode", "FAILFAST")
                .option("encoding", "UTF-8").csv(path);
    }

    /** {@code train}. */
    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train an adapter data-parallel across Spark barrier tasks (the same loss trace as one process).")
    static final class Train implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model directory (visible to every executor).")
        Path model;

        @Option(names = "--data", required = true, paramLabel = "FILE", description = "id,text,summary CSV or JSONL, read on the driver.")
        Path data;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Adapter and checkpoints, written by task 0 (shared storage on a cluster).")
        Path out;

        @Option(names = "--tasks", paramLabel = "N", description = "Data-parallel tasks (default 2); needs N free task slots.")
        int tasks = 2;

        @Option(names = "--steps", paramLabel = "N", description = "Stop after N updates.")
        long steps = -1;

        @Option(names = "--grad-accum", paramLabel = "N", description = "Gradient accumulation steps (default 1).")
        int gradAccum = 1;

        @Option(names = "--json", description = "Print the result as JSON (losses, all-gather times).")
        boolean json;

        @Mixin
        SummaryTrainingFlags training = new SummaryTrainingFlags();

        @Mixin
        EngineFlags engineFlags = new EngineFlags();

        @Mixin
        SparkFlags sparkFlags = new SparkFlags();

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            List<Example> examples = SummarizationEval.trainingExamples(SummarizeCommand.read(data), Summarizer.DEFAULT_TEMPLATE);
            // --batch is the global batch, split across the tasks; --max-length 0 leaves the model's context.
            DataParallelTraining job = DataParallelTraining.builder(modelSpec(model, engineFlags), training.method)
                    .optMethodConfig(training.methodConfig().toString()).optTasks(tasks).optEpochs(training.epochs).optMaxSteps(steps)
                    .optBatchSize(training.batch).optGradientAccumulationSteps(gradAccum).optLearningRate(training.learningRate())
                    .optMaxLength(training.maxLength(0)).optCheckpointEverySteps(training.checkpointEvery)
                    .optOutputDir(out.toAbsolutePath().toString()).optResume(training.resume).optSeed(training.seed).build();
            DataParallelTraining.Result r;
            try (Session s = sparkFlags.session("peft4j train")) {
                r = job.train(JavaSparkContext.fromSparkContext(s.spark().sparkContext()), examples);
            }
            PrintWriter o = spec.commandLine().getOut();
            if (json) {
                JsonObject j = new JsonObject();
                j.addProperty("steps", r.steps());
                j.addProperty("tasks", r.tasks());
                j.add("losses", new com.google.gson.Gson().toJsonTree(r.losses()));
                j.addProperty("median_allgather_ms", r.medianAllGatherMillis());
                j.addProperty("message_bytes", r.messageChars());
                j.addProperty("seconds", r.seconds());
                j.addProperty("adapter", out.toString());
                o.println(new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(j));
            } else {
                o.printf(Locale.ROOT, "%d steps on %d tasks in %.1f s, final loss %.4f; all-gather %.1f ms per update (median), %,d bytes per task"
                        + "; adapter saved to %s%n", r.steps(), r.tasks(), r.seconds(), r.losses().isEmpty() ? Double.NaN
                                : r.losses().get(r.losses().size() - 1), r.medianAllGatherMillis(), r.messageChars(), out);
            }
            return 0;
        }
    }

    /** {@code bench-allgather}. */
    @Command(name = "bench-allgather", mixinStandardHelpOptions = true,
            description = "Time the data-parallel gradient exchange alone: N barrier tasks reduce F floats, R times.")
    static final class BenchAllGather implements Callable<Integer> {
        @Option(names = "--tasks", description = "Barrier tasks (default 2).")
        int tasks = 2;

        @Option(names = "--floats", description = "Gradient floats per update (default 294912: LoRA r=8 on GPT-2 small's c_attn).")
        int floats = 294_912;

        @Option(names = "--rounds", description = "Timed exchanges (default 20), after 3 untimed ones.")
        int rounds = 20;

        @Mixin
        SparkFlags sparkFlags = new SparkFlags();

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            List<double[]> perTask;
            try (Session s = sparkFlags.session("peft4j bench-allgather")) {
                JavaSparkContext jsc = JavaSparkContext.fromSparkContext(s.spark().sparkContext());
                perTask = jsc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).rdd().barrier()
                        .mapPartitions(new BenchTask(floats, rounds), false, ClassTag$.MODULE$.apply(double[].class)).toJavaRDD().collect();
            }
            double[] gather = perTask.stream().flatMapToDouble(t -> Arrays.stream(t, 0, rounds)).sorted().toArray();
            double[] total = perTask.stream().flatMapToDouble(t -> Arrays.stream(t, rounds, 2 * rounds)).sorted().toArray();
            long chars = (long) perTask.get(0)[2 * rounds];
            spec.commandLine().getOut().printf(Locale.ROOT,
                    "%d tasks, %,d floats (%,d bytes per message): all-gather median %.2f ms (p90 %.2f), whole reduce (encode, gather, sum) "
                            + "median %.2f ms (p90 %.2f) over %d rounds%n",
                    tasks, floats, chars, gather[gather.length / 2], gather[(int) (gather.length * 0.9)], total[total.length / 2],
                    total[(int) (total.length * 0.9)], rounds);
            return 0;
        }
    }

    /** One bench task: 3 untimed reduces, then {@code rounds} timed ones; returns [gather ms..., reduce ms..., message chars]. */
    private static final class BenchTask extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<double[]>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final int floats;
        private final int rounds;

        BenchTask(int floats, int rounds) {
            this.floats = floats;
            this.rounds = rounds;
        }

        @Override
        public scala.collection.Iterator<double[]> apply(scala.collection.Iterator<Integer> ignored) {
            BarrierGradientReducer reducer = new BarrierGradientReducer(BarrierTaskContext.get());
            float[] g = new float[floats];
            SplittableRandom rnd = new SplittableRandom(reducer.rank());
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) rnd.nextGaussian();
            }
            GradientSums local = new GradientSums(1.0, 10, 12, Map.of("g", g));
            double[] out = new double[2 * rounds + 1];
            for (int i = 0; i < 3 + rounds; i++) {
                long t0 = System.nanoTime();
                reducer.reduce(local);
                if (i >= 3) {
                    out[rounds + i - 3] = (System.nanoTime() - t0) / 1e6;
                }
            }
            List<Double> gathers = reducer.allGatherMillis();
            for (int i = 0; i < rounds; i++) {
                out[i] = gathers.get(3 + i);
            }
            out[2 * rounds] = reducer.messageChars();
            return CollectionConverters.asScala(Stream.of(out).iterator());
        }
    }
}
