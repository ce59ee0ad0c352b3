package ai.peft4j.examples.summarization;

import java.util.List;
import java.util.Objects;

/**
 * ROUGE over a corpus: the macro-average and each document's own scores.
 *
 * <pre>{@code
 * CorpusRougeScores corpus = new KoreanRouge().scoreCorpus(hypotheses, references);
 * System.out.println(corpus.average());
 * RougeScores worst = corpus.perDocument().get(0);
 * }</pre>
 *
 * @param average per-statistic mean over documents (each F is the mean of the documents' F,
 *     not the F of the mean precision and recall)
 * @param perDocument one entry per (hypothesis, reference) pair, in input order
 */
public record CorpusRougeScores(RougeScores average, List<RougeScores> perDocument) {

  /**
   * Copies the per-document list so the record stays immutable.
   *
   * @param average the macro-average
   * @param perDocument each document's scores
   */
  public CorpusRougeScores {
    Objects.requireNonNull(average, "average");
    perDocument = List.copyOf(perDocument);
  }
}
