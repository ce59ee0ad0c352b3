package ai.peft4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.examples.cli.LoadedModel;
import ai.peft4j.examples.summarization.data.SummarizationData;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch summarization on Spark (local mode) against the single-machine {@code summarize predict}
 * on part of the embedded test split, with the embedded Korean base model and two adapters made
 * here (a LoRA adapter with random, non-zero weights and a random soft prompt, so each visibly
 * changes the summaries).
 */
class SparkSummarizationTest {
    static final Path KO_BASE = LocalSpark.home().resolve("examples/demo/ko-base");
    // One engine thread: two Spark task threads on a 2-core machine would otherwise oversubscribe it.
    static final String[] DECODING = {"--max-new-tokens", "24", "--first-sentence", "--threads", "1"};

    @TempDir
    static Path tmp;
    static Path lora;
    static Path prompt;
    static List<SummarizationExample> docs;
    static Path docsCsv;

    @BeforeAll
    static void adaptersAndDocuments() throws IOException {
        lora = tmp.resolve("lora");
        prompt = tmp.resolve("prompt");
        try (LoadedModel m = ModelSpec.of(KO_BASE.toString()).withEngine(null, null, 1).open()) {
            PeftModel model = m.model().setSeed(7);
            model.addAdapter("lora", PeftMethods.byName("lora").parseConfig(JsonParser.parseString(
                    "{\"r\": 4, \"lora_alpha\": 1, \"init_lora_weights\": false, \"target_modules\": \"all-linear\"}").getAsJsonObject(), "test"));
            model.saveAdapter("lora", lora);
            model.addAdapter("prompt", PeftMethods.byName("prompt-tuning").parseConfig(JsonParser.parseString(
                    "{\"num_virtual_tokens\": 6, \"prompt_tuning_init\": \"RANDOM\"}").getAsJsonObject(), "test"));
            model.saveAdapter("prompt", prompt);
        }
        docs = SummarizationData.bundledTest().subList(0, 24);
        docsCsv = tmp.resolve("docs.csv");
        SummarizationData.writeCsv(docsCsv, docs);
    }

    static String[] args(String[] head, String... tail) {
        return Stream.concat(Stream.concat(Stream.of(head), Stream.of(DECODING)), Stream.of(tail)).toArray(String[]::new);
    }

    /** The single-machine submission for these documents and flags. */
    static Path summarizePredict(Path data, String name, String... flags) {
        Path out = tmp.resolve(name + ".csv");
        LocalSpark.Run r = LocalSpark.peft4jCli(args(new String[] {"summarize", "predict", "--model", KO_BASE.toString(), "--data",
                data.toString(), "--out", out.toString()}, flags));
        assertThat(r.exit()).as(r.toString()).isZero();
        return out;
    }

    /** The (id, summary) rows of a submission CSV. */
    static List<String[]> submission(Path file) throws IOException {
        List<String[]> out = new ArrayList<>();
        try (CSVParser p = CSVParser.parse(Files.readString(file), CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get())) {
            for (CSVRecord r : p) {
                out.add(new String[] {r.get("id"), r.get("summary")});
            }
        }
        return out;
    }

    static Path onlyPart(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> parts = s.filter(p -> p.getFileName().toString().startsWith("part-")).toList();
            assertThat(parts).hasSize(1);
            return parts.get(0);
        }
    }

    @Test
    void theSubmissionIsByteForByteTheSingleMachineOneAndTheModelIsLoadedOncePerExecutor() throws IOException {
        Path expected = summarizePredict(docsCsv, "single-lora", "--adapter", lora.toString());
        int loadsBefore = ExecutorModels.loadCount();
        Path out = tmp.resolve("spark-lora");
        LocalSpark.Run r = LocalSpark.sparkCli(args(new String[] {"predict", "--model", KO_BASE.toString(), "--adapter", lora.toString(),
                "--data", docsCsv.toString(), "--out", out.toString(), "--partitions", "3"}));
        assertThat(r.exit()).as(r.toString()).isZero();

        assertThat(Files.readAllBytes(onlyPart(out))).isEqualTo(Files.readAllBytes(expected));
        // Both stages' tasks (prompt lengths, then generation), on two task threads, shared one load.
        assertThat(ExecutorModels.loadCount() - loadsBefore).isEqualTo(1);
        // The adapter really changes the summaries, so the comparison above is not base against base.
        Path base = summarizePredict(docsCsv, "single-base");
        assertThat(Files.readString(base)).isNotEqualTo(Files.readString(expected));
    }

    @Test
    void eachRowUsesItsOwnAdapterOnTheOnnxEngineAsItsOwnSingleAdapterRunDoes() throws IOException {
        String[] names = {"lora", "prompt", PeftModel.BASE, null};
        SparkSession spark = LocalSpark.session();
        List<Row> rows = new ArrayList<>();
        Map<String, List<SummarizationExample>> byAdapter = new HashMap<>();
        for (int i = 0; i < docs.size(); i++) {
            String a = names[i % names.length];
            rows.add(RowFactory.create(docs.get(i).id(), docs.get(i).text(), a));
            byAdapter.computeIfAbsent(a == null ? PeftModel.BASE : a, k -> new ArrayList<>()).add(docs.get(i));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType)
                .add("adapter", DataTypes.StringType);
        ModelSpec spec = ModelSpec.of(KO_BASE.toString()).withEngine("onnx", null, 1).withAdapter("lora", lora.toString())
                .withAdapter("prompt", prompt.toString());
        SparkSummarization job = SparkSummarization.builder(spec).optPartitions(2).optDecoding(
                ai.peft4j.examples.summarization.SummaryDecoding.builder().optMaxNewTokens(24).optFirstSentence(true).build()).build();
        assertThat(job.defaultAdapter()).isEqualTo(PeftModel.BASE); // two adapters: rows without one get the base model
        Map<String, String> got = new HashMap<>();
        for (Row r : job.summarize(spark.createDataFrame(rows, schema)).collectAsList()) {
            got.put(r.getString(1) + "/" + r.getString(2), r.getString(3));
        }
        assertThat(got).hasSize(docs.size());

        for (Map.Entry<String, List<SummarizationExample>> e : byAdapter.entrySet()) {
            Path data = tmp.resolve("docs-" + e.getKey() + ".csv");
            SummarizationData.writeCsv(data, e.getValue());
            Path expected = e.getKey().equals(PeftModel.BASE) ? summarizePredict(data, "onnx-base", "--engine", "onnx")
                    : summarizePredict(data, "onnx-" + e.getKey(), "--engine", "onnx", "--adapter", (e.getKey().equals("lora") ? lora : prompt).toString());
            List<String[]> want = submission(expected);
            assertThat(want).hasSize(e.getValue().size());
            for (String[] w : want) {
                assertThat(got.get(w[0] + "/" + e.getKey())).as(w[0] + " with " + e.getKey()).isEqualTo(w[1]);
            }
        }
    }

    @Test
    void aTaskThatFailsMidWriteAndIsRetriedLeavesNoDuplicateAndNoMissingRow() throws Exception {
        SparkSession spark = LocalSpark.session();
        AtomicInteger failedTasks = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    failedTasks.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(listener);
        Path out = tmp.resolve("retried.parquet");
        SparkSummarization job = SparkSummarization.builder(ModelSpec.of(KO_BASE.toString()).withEngine(null, null, 1)).optPartitions(2).optDecoding(
                ai.peft4j.examples.summarization.SummaryDecoding.builder().optMaxNewTokens(24).optFirstSentence(true).optBatchSize(4).build())
                .build();
        Dataset<Row> input = SparkCli.readDocuments(spark, docsCsv.toString());
        spark.sparkContext().setLocalProperty(SparkSummarization.FAIL_ONCE_PROPERTY, "1");
        try {
            job.summarize(input).write().parquet(out.toString());
        } finally {
            spark.sparkContext().setLocalProperty(SparkSummarization.FAIL_ONCE_PROPERTY, null);
            spark.sparkContext().listenerBus().waitUntilEmpty();
            spark.sparkContext().removeSparkListener(listener);
        }
        assertThat(failedTasks.get()).as("the injected failure happened").isEqualTo(1);

        List<Row> written = spark.read().parquet(out.toString()).orderBy("position").collectAsList();
        assertThat(written).hasSize(docs.size());
        Path expected = summarizePredict(docsCsv, "single-base-batch4", "--batch", "4");
        List<String[]> want = submission(expected);
        for (int i = 0; i < docs.size(); i++) {
            assertThat(written.get(i).getLong(0)).isEqualTo(i);
            assertThat(written.get(i).getString(1)).isEqualTo(want.get(i)[0]);
            assertThat(written.get(i).getString(3)).isEqualTo(want.get(i)[1]);
        }
    }
}
