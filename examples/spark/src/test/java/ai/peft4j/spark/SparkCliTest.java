package ai.peft4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.examples.summarization.data.SummarizationData;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both jobs from the command line in local mode, as the README runs them, and its errors. */
class SparkCliTest {
    static final String KO_BASE = SparkSummarizationTest.KO_BASE.toString();

    @TempDir
    Path tmp;

    @Test
    void trainsDataParallelThenSummarizesWithTheTrainedAdapter() throws Exception {
        Path train = tmp.resolve("train.csv");
        SummarizationData.writeCsv(train, SummarizationData.bundledTrain().subList(0, 12));
        Path adapter = tmp.resolve("lora");
        LocalSpark.Run t = LocalSpark.sparkCli("train", "--model", KO_BASE, "--data", train.toString(), "--out", adapter.toString(),
                "--tasks", "2", "--steps", "2", "--batch", "4", "--threads", "1");
        assertThat(t.exit()).as(t.toString()).isZero();
        assertThat(t.out()).contains("2 steps on 2 tasks").contains("all-gather").contains("adapter saved to");
        assertThat(adapter.resolve("adapter_config.json")).exists();
        assertThat(adapter.resolve("adapter_model.safetensors")).exists();

        Path test = tmp.resolve("test.csv");
        List<SummarizationExample> docs = SummarizationData.bundledTest().subList(0, 6);
        SummarizationData.writeCsv(test, docs);
        Path out = tmp.resolve("summaries");
        LocalSpark.Run p = LocalSpark.sparkCli("predict", "--model", KO_BASE, "--adapter", adapter.toString(), "--data", test.toString(),
                "--out", out.toString(), "--format", "csv", "--max-new-tokens", "8", "--threads", "1");
        assertThat(p.exit()).as(p.toString()).isZero();
        List<String> ids = new ArrayList<>();
        for (Row r : LocalSpark.session().read().option("header", true).option("multiLine", true).option("escape", "\"").csv(out.toString())
                .orderBy("position").collectAsList()) {
            ids.add(r.getAs("id"));
            assertThat((String) r.getAs("adapter")).isEqualTo("default");
        }
        assertThat(ids).containsExactlyElementsOf(docs.stream().map(SummarizationExample::id).toList());
    }

    @Test
    void moreTasksThanLocalSlotsIsRefusedAtOnce() throws Exception {
        Path train = tmp.resolve("train.csv");
        SummarizationData.writeCsv(train, SummarizationData.bundledTrain().subList(0, 4));
        LocalSpark.Run t = LocalSpark.sparkCli("train", "--model", KO_BASE, "--data", train.toString(), "--out", tmp.resolve("x").toString(),
                "--tasks", "3");
        assertThat(t.exit()).as(t.toString()).isEqualTo(2);
        assertThat(t.err()).contains("3 data-parallel tasks need 3 task slots at once, but local[2,2] has 2");
    }

    @Test
    void benchAllGatherTimesTheExchange() {
        LocalSpark.Run r = LocalSpark.sparkCli("bench-allgather", "--tasks", "2", "--floats", "1000", "--rounds", "3");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("2 tasks, 1,000 floats").contains("all-gather median").contains("whole reduce");
    }

    @Test
    void aRowNamingAnAdapterThatIsNotLoadedIsOneClearError() throws Exception {
        Path data = tmp.resolve("docs.csv");
        Files.writeString(data, "id,text,adapter\nA,서울은 맑다.,nope\n");
        LocalSpark.Run r = LocalSpark.sparkCli("predict", "--model", KO_BASE, "--data", data.toString(), "--out", tmp.resolve("o").toString());
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: ").contains("document 'A' names adapter 'nope': no adapter 'nope'; adapters: (none)");
        assertThat(r.err().lines().count()).isEqualTo(1);
    }
}
