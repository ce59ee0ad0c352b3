package ai.peft4j.examples.summarization.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummarizationDataTest {

  @TempDir Path dir;

  private static final List<SummarizationExample> TRICKY =
      List.of(
          new SummarizationExample("1", "쉼표, 그리고 \"따옴표\"가 있는 글", "요약, \"인용\""),
          new SummarizationExample("2", "첫 줄\n둘째 줄\r\n셋째 줄", "여러 줄\n요약"),
          new SummarizationExample("3", "  앞뒤 공백  ", null),
          new SummarizationExample("TEST_004", "평범한 문장이다.", "평범한 요약"));

  @Test
  void csvRoundTripsCommasQuotesAndNewlines() throws IOException {
    Path file = dir.resolve("data.csv");
    SummarizationData.writeCsv(file, TRICKY);
    assertThat(SummarizationData.read(file)).isEqualTo(TRICKY);

    String raw = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(raw)
        .startsWith("id,text,summary\n")
        .contains("1,\"쉼표, 그리고 \"\"따옴표\"\"가 있는 글\",\"요약, \"\"인용\"\"\"\n")
        .contains("3,\"  앞뒤 공백  \",\n") // leading spaces force quotes
        .endsWith("TEST_004,평범한 문장이다.,평범한 요약\n");
  }

  @Test
  void readsCompetitionTestFileWithoutSummaries() throws IOException {
    Path file = dir.resolve("test.csv");
    Files.writeString(file, "\uFEFFid,text\nTEST_000,\"본문, 하나\"\n\nTEST_001,본문 둘\n");
    assertThat(SummarizationData.read(file))
        .containsExactly(
            new SummarizationExample("TEST_000", "본문, 하나", null),
            new SummarizationExample("TEST_001", "본문 둘", null));
  }

  @Test
  void acceptsColumnsInAnyOrderAndIgnoresExtras() throws IOException {
    Path file = dir.resolve("shuffled.csv");
    Files.writeString(file, "summary,extra,text,id\r\n요약,x,본문,7\r\n");
    assertThat(SummarizationData.read(file))
        .containsExactly(new SummarizationExample("7", "본문", "요약"));
  }

  @Test
  void missingColumnNamesFileAndLine() throws IOException {
    Path file = dir.resolve("bad.csv");
    Files.writeString(file, "id,summary\n1,요약\n");
    assertThatThrownBy(() -> SummarizationData.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(file + ":1: ")
        .hasMessageContaining("missing column 'text'");
  }

  @Test
  void shortRowNamesItsStartLine() throws IOException {
    Path file = dir.resolve("short.csv");
    // The second record spans lines 2-3, so the short one starts on line 4.
    Files.writeString(file, "id,text,summary\n1,\"두 줄\n본문\",요약\n2\n");
    assertThatThrownBy(() -> SummarizationData.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(file + ":4: ")
        .hasMessageContaining("expected 3 columns");
  }

  @Test
  void rejectsEmptyIdsUnterminatedQuotesAndEmptyFiles() throws IOException {
    Path empty = dir.resolve("empty-id.csv");
    Files.writeString(empty, "id,text\n,본문\n");
    assertThatThrownBy(() -> SummarizationData.read(empty))
        .hasMessageStartingWith(empty + ":2: empty id");

    Path open = dir.resolve("open.csv");
    Files.writeString(open, "id,text\n1,\"닫히지 않은 따옴표\n");
    assertThatThrownBy(() -> SummarizationData.read(open))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(open + ": malformed CSV");

    Path nothing = dir.resolve("nothing.csv");
    Files.writeString(nothing, "");
    assertThatThrownBy(() -> SummarizationData.read(nothing))
        .hasMessageStartingWith(nothing + ":1: empty file");
  }

  @Test
  void readsJsonl() throws IOException {
    Path file = dir.resolve("data.jsonl");
    Files.writeString(
        file,
        "{\"id\": \"a\", \"text\": \"본문, \\\"하나\\\"\\n둘째 줄\", \"summary\": \"요약\"}\n"
            + "\n"
            + "{\"id\": 17, \"text\": \"숫자 id\", \"summary\": null}\n"
            + "{\"text\": \"요약 없음\", \"id\": \"c\"}\n");
    assertThat(SummarizationData.read(file))
        .containsExactly(
            new SummarizationExample("a", "본문, \"하나\"\n둘째 줄", "요약"),
            new SummarizationExample("17", "숫자 id", null),
            new SummarizationExample("c", "요약 없음", null));
  }

  @Test
  void jsonlErrorsNameFileAndLine() throws IOException {
    Path missing = dir.resolve("missing.jsonl");
    Files.writeString(missing, "{\"id\": \"a\", \"text\": \"t\"}\n\n{\"id\": \"b\"}\n");
    assertThatThrownBy(() -> SummarizationData.read(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(missing + ":3: missing \"text\"");

    Path broken = dir.resolve("broken.jsonl");
    Files.writeString(broken, "{\"id\": \"a\", \"text\": \n");
    assertThatThrownBy(() -> SummarizationData.read(broken))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(broken + ":1: malformed JSON");

    Path array = dir.resolve("array.jsonl");
    Files.writeString(array, "[1, 2]\n");
    assertThatThrownBy(() -> SummarizationData.read(array))
        .hasMessage(array + ":1: expected a JSON object");
  }

  @Test
  void writesSubmissionAtomicallyAndReplacesOldFile() throws IOException {
    Path out = dir.resolve("sub").resolve("submission.csv");
    SummarizationData.writeSubmission(out, List.of(new SummarizationExample("old", "x", "이전")));
    SummarizationData.writeSubmission(
        out,
        List.of(
            new SummarizationExample("TEST_000", "본문", "서울에 비, \"많이\" 온다"),
            new SummarizationExample("TEST_001", "본문", null)));
    assertThat(Files.readString(out, StandardCharsets.UTF_8))
        .isEqualTo("id,summary\nTEST_000,\"서울에 비, \"\"많이\"\" 온다\"\nTEST_001,\n");
    try (Stream<Path> files = Files.list(out.getParent())) {
      assertThat(files).containsExactly(out); // no temp file left behind
    }
  }

  @Test
  void failedWriteLeavesNoTempFile() throws IOException {
    // The target is a non-empty directory, so the final move must fail.
    Path target = dir.resolve("occupied");
    Files.createDirectories(target.resolve("child"));
    assertThatThrownBy(() -> SummarizationData.writeSubmission(target, List.of()))
        .isInstanceOf(Peft4jException.class)
        .hasMessageContaining("occupied");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
    assertThat(target.resolve("child")).isDirectory();
  }

  @Test
  void submissionReadsBackAsExamplesWithoutText() throws IOException {
    Path out = dir.resolve("submission.csv");
    SummarizationData.writeSubmission(out, TRICKY);
    assertThatThrownBy(() -> SummarizationData.read(out))
        .hasMessageContaining("missing column 'text'");
  }
}
