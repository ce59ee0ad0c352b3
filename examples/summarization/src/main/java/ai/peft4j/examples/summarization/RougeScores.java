package ai.peft4j.examples.summarization;

import java.util.Objects;

/**
 * ROUGE-1, ROUGE-2 and ROUGE-L of one document, or their macro-average over a corpus.
 *
 * <pre>{@code
 * RougeScores s = new KoreanRouge().score("서울에 비가 온다", "서울에 비가 내린다");
 * double r1 = s.rouge1().f();
 * double competitionScore = s.mean(); // mean of the three F1 values
 * }</pre>
 *
 * @param rouge1 unigram overlap
 * @param rouge2 bigram overlap
 * @param rougeL summary-level union-LCS
 */
public record RougeScores(Score rouge1, Score rouge2, Score rougeL) {

  /** All three scores zero. */
  public static final RougeScores ZERO = new RougeScores(Score.ZERO, Score.ZERO, Score.ZERO);

  /**
   * Checks that no score is null.
   *
   * @param rouge1 unigram overlap
   * @param rouge2 bigram overlap
   * @param rougeL summary-level union-LCS
   */
  public RougeScores {
    Objects.requireNonNull(rouge1, "rouge1");
    Objects.requireNonNull(rouge2, "rouge2");
    Objects.requireNonNull(rougeL, "rougeL");
  }

  /**
   * Returns the mean of the ROUGE-1, ROUGE-2 and ROUGE-L F scores, the competition's
   * leaderboard number.
   *
   * @return (R1-F + R2-F + RL-F) / 3
   */
  public double mean() {
    return (rouge1.f() + rouge2.f() + rougeL.f()) / 3.0;
  }

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT,
        "ROUGE-1 %.4f, ROUGE-2 %.4f, ROUGE-L %.4f (F1; mean %.4f)",
        rouge1.f(),
        rouge2.f(),
        rougeL.f(),
        mean());
  }

  /**
   * Precision, recall and F score of one ROUGE variant.
   *
   * <pre>{@code
   * RougeScores.Score s = new RougeScores.Score(0.5, 0.25, 1.0 / 3.0);
   * }</pre>
   *
   * @param precision overlap / hypothesis size
   * @param recall overlap / reference size
   * @param f weighted harmonic mean (F1 at alpha 0.5)
   */
  public record Score(double precision, double recall, double f) {
    /** A zero score. */
    public static final Score ZERO = new Score(0.0, 0.0, 0.0);
  }
}
