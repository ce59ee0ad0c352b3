package ai.peft4j.examples.summarization.data;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.examples.summarization.KoreanRouge;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticReportGeneratorTest {

  private static SyntheticReportGenerator.GeneratedSplits reports;
  private static List<SummarizationExample> handwritten;

  @BeforeAll
  static void generateOnce() {
    reports =
        SyntheticReportGenerator.generateReports(
            SyntheticReportGenerator.DEFAULT_SEED,
            SyntheticReportGenerator.DEFAULT_TRAIN,
            SyntheticReportGenerator.DEFAULT_TEST);
    handwritten = SummarizationData.readResource(SyntheticReportGenerator.HANDWRITTEN);
  }

  private static List<SyntheticReportGenerator.Report> all() {
    List<SyntheticReportGenerator.Report> all = new ArrayList<>(reports.train());
    all.addAll(reports.test());
    return all;
  }

  @Test
  void sameSeedGivesIdenticalBytesAndOtherSeedsDiffer() {
    var a = SyntheticReportGenerator.generate(7, 300, 30);
    var b = SyntheticReportGenerator.generate(7, 300, 30);
    var c = SyntheticReportGenerator.generate(8, 300, 30);
    assertThat(SummarizationData.toCsv(a.train())).isEqualTo(SummarizationData.toCsv(b.train()));
    assertThat(SummarizationData.toCsv(a.test())).isEqualTo(SummarizationData.toCsv(b.test()));
    assertThat(SummarizationData.toCsv(a.train())).isNotEqualTo(SummarizationData.toCsv(c.train()));
  }

  @Test
  void embeddedFilesAreExactlyTheGeneratorOutput() throws IOException {
    var splits =
        SyntheticReportGenerator.generate(
            SyntheticReportGenerator.DEFAULT_SEED,
            SyntheticReportGenerator.DEFAULT_TRAIN,
            SyntheticReportGenerator.DEFAULT_TEST);
    String train = resource("train.csv");
    String test = resource("test.csv");
    // If this fails, regenerate the files as DATA-LICENSE.md describes.
    assertThat(train).isEqualTo(SummarizationData.toCsv(splits.train()));
    assertThat(test).isEqualTo(SummarizationData.toCsv(splits.test()));
    assertThat(train + test).doesNotContain("\r");
    long bytes =
        (train + test + resource(SyntheticReportGenerator.HANDWRITTEN))
            .getBytes(StandardCharsets.UTF_8)
            .length;
    assertThat(bytes).isLessThan(1_500_000);
    assertThat(SummarizationData.bundledTrain()).isEqualTo(splits.train());
    assertThat(SummarizationData.bundledTest()).isEqualTo(splits.test());
  }

  @Test
  void writeCreatesTheFolderAndWritesBothSplits(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("new");
    var written = SyntheticReportGenerator.write(out, 11, 40, 10);
    var expected = SyntheticReportGenerator.generate(11, 40, 10);
    assertThat(written).isEqualTo(expected);
    assertThat(Files.readString(out.resolve("train.csv"), StandardCharsets.UTF_8))
        .isEqualTo(SummarizationData.toCsv(expected.train()));
    assertThat(SummarizationData.read(out.resolve("test.csv"))).isEqualTo(expected.test());
  }

  @Test
  void countsIdsAndFields() {
    assertThat(handwritten).hasSizeGreaterThanOrEqualTo(50);
    assertThat(reports.train())
        .hasSize(SyntheticReportGenerator.DEFAULT_TRAIN + handwritten.size());
    assertThat(reports.test()).hasSize(SyntheticReportGenerator.DEFAULT_TEST);
    Set<String> ids = new HashSet<>();
    for (var r : all()) {
      SummarizationExample e = r.example();
      assertThat(ids.add(e.id())).as("duplicate id %s", e.id()).isTrue();
      assertThat(e.text()).as(e.id()).isNotBlank();
      assertThat(e.summary()).as(e.id()).isNotBlank();
      assertThat(e.text() + e.summary()).as(e.id()).doesNotContain("{", "}", "[", "]", "\n");
    }
    assertThat(reports.train().stream().filter(r -> r.example().id().startsWith("HAND_")))
        .hasSameSizeAs(handwritten);
  }

  @Test
  void noTextRepeatsAndNoTestDocumentIsInTraining() {
    Set<String> trainTexts =
        reports.train().stream().map(r -> r.example().text()).collect(Collectors.toSet());
    assertThat(trainTexts).hasSameSizeAs(reports.train());
    for (var r : reports.test()) {
      assertThat(trainTexts).doesNotContain(r.example().text());
    }
    assertThat(reports.test().stream().map(r -> r.example().text()).distinct())
        .hasSameSizeAs(reports.test());
  }

  @Test
  void generatedPairsFollowTheShapeRules() {
    for (var r : all()) {
      if (r.keyEntity() == null) {
        continue; // hand-written
      }
      SummarizationExample e = r.example();
      assertThat(e.text().length())
          .as(e.id())
          .isBetween(SyntheticReportGenerator.MIN_TEXT_CHARS, SyntheticReportGenerator.MAX_TEXT_CHARS);
      assertThat(e.summary().length())
          .as(e.id())
          .isBetween(
              SyntheticReportGenerator.MIN_SUMMARY_CHARS, SyntheticReportGenerator.MAX_SUMMARY_CHARS);
      assertThat(SyntheticReportGenerator.sentences(List.of(e.text()))).as(e.id()).isBetween(2, 5);
      assertThat(e.text()).as(e.id()).contains(r.keyEntity());
      assertThat(e.summary()).as(e.id()).contains(r.keyEntity());
    }
  }

  @Test
  void topicsAreMixedAndSummariesVaried() {
    Map<String, Long> perTopic =
        reports.train().stream()
            .collect(Collectors.groupingBy(SyntheticReportGenerator.Report::topic, Collectors.counting()));
    assertThat(perTopic.keySet())
        .contains(
            "weather", "sports", "earnings", "traffic", "announcement", "science", "culture",
            "real-estate", "health", "fire", "stocks");
    perTopic.forEach((topic, n) -> assertThat(n).as(topic).isGreaterThanOrEqualTo(50));
    long distinctSummaries = all().stream().map(r -> r.example().summary()).distinct().count();
    assertThat(distinctSummaries).isGreaterThan((long) (0.95 * all().size()));
    // The lead sentence does not always open the document.
    long leadFirst =
        all().stream()
            .filter(r -> r.keyEntity() != null)
            .filter(r -> firstSentence(r.example().text()).contains(r.keyEntity()))
            .count();
    assertThat(leadFirst).isLessThan(all().size() - 200L);
  }

  private static String firstSentence(String text) {
    int end = text.indexOf("다. ");
    return end < 0 ? text : text.substring(0, end);
  }

  @Test
  void handwrittenPairsReuseTheirDocumentsWords() {
    KoreanRouge rouge = new KoreanRouge();
    Function<SummarizationExample, Double> precision =
        e -> rouge.score(e.summary(), e.text()).rouge1().precision();
    for (SummarizationExample e : handwritten) {
      assertThat(e.id()).startsWith("HAND_");
      assertThat(e.text().length()).as(e.id()).isBetween(150, 400);
      assertThat(e.summary().length()).as(e.id()).isBetween(20, 60);
      assertThat(precision.apply(e)).as(e.id()).isGreaterThanOrEqualTo(0.6);
    }
  }

  private static String resource(String name) throws IOException {
    try (InputStream in =
        SyntheticReportGenerator.class.getResourceAsStream(SummarizationData.RESOURCE_DIR + name)) {
      assertThat(in).as(name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
