package ai.peft4j.examples.summarization.data;

import java.util.Objects;

/**
 * One document and, when known, its one-sentence summary.
 *
 * <pre>{@code
 * SummarizationExample ex = new SummarizationExample("TEST_000", "서울에 비가 온다. ...", null);
 * String prompt = ex.text() + " 한줄 요약:";
 * }</pre>
 *
 * @param id row identifier, unique within a file
 * @param text the document
 * @param summary the reference (or predicted) summary; null when absent, as in the
 *     competition's test.csv
 */
public record SummarizationExample(String id, String text, String summary) {

  /**
   * Checks that id and text are present.
   *
   * @param id row identifier
   * @param text the document
   * @param summary the summary, or null
   */
  public SummarizationExample {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(text, "text");
  }

  /**
   * Returns a copy with another summary, e.g. a model's prediction.
   *
   * @param newSummary the summary, or null
   * @return a new example with the same id and text
   */
  public SummarizationExample withSummary(String newSummary) {
    return new SummarizationExample(id, text, newSummary);
  }
}
