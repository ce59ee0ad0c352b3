package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.examples.summarization.KoreanRouge;
import ai.peft4j.examples.summarization.SummarizationEval;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummarizeScoresCsvTest {
    @TempDir
    Path tmp;

    @Test
    void idsAndPredictionsWithCommasQuotesAndNewlinesRoundTrip() throws Exception {
        List<SummarizationExample> docs = List.of(new SummarizationExample("a,1", "서울 비", "서울 비"),
                new SummarizationExample("b\"2", "부산 맑음", "부산 맑음"));
        List<SummarizationExample> preds = List.of(new SummarizationExample("a,1", "서울 비", "서울, \"비\"\n온다"),
                new SummarizationExample("b\"2", "부산 맑음", "부산 맑음"));
        var scores = new KoreanRouge().scoreCorpus(List.of(preds.get(0).summary(), preds.get(1).summary()),
                List.of(docs.get(0).summary(), docs.get(1).summary()));
        Path file = tmp.resolve("scores.csv");
        SummarizeCommand.writeScores(file, docs, new SummarizationEval.Report(preds, scores, 0));
        List<CSVRecord> rows = CSVFormat.RFC4180.parse(new StringReader(Files.readString(file))).getRecords();
        assertThat(rows).hasSize(3);
        assertThat(rows.get(1).get(0)).isEqualTo("a,1");
        assertThat(rows.get(1).get(4)).isEqualTo("서울, \"비\"\n온다");
        assertThat(rows.get(2).get(0)).isEqualTo("b\"2");
        assertThat(rows.get(2).get(3)).isEqualTo("1.000000");
    }
}
