package ai.peft4j.examples.summarization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Expected values are worked out by hand from the morphemes asserted first in each test, and
 * written as exact fractions.
 */
class KoreanRougeTest {

  private static final Offset<Double> EPS = within(1e-9);
  private static final MorphemeTokenizer TOKENIZER = new MorphemeTokenizer();
  private final KoreanRouge rouge = new KoreanRouge(TOKENIZER);

  private static void assertScore(RougeScores.Score s, double p, double r, double f) {
    assertThat(s.precision()).as("precision").isCloseTo(p, EPS);
    assertThat(s.recall()).as("recall").isCloseTo(r, EPS);
    assertThat(s.f()).as("f").isCloseTo(f, EPS);
  }

  private static void assertAllZero(RougeScores s) {
    assertScore(s.rouge1(), 0, 0, 0);
    assertScore(s.rouge2(), 0, 0, 0);
    assertScore(s.rougeL(), 0, 0, 0);
    assertThat(s.mean()).isCloseTo(0.0, EPS);
  }

  @Test
  void emptyTextsScoreZero() {
    assertAllZero(rouge.score("", ""));
    assertAllZero(rouge.score("", "서울 날씨가 맑다"));
    assertAllZero(rouge.score("서울 날씨가 맑다", ""));
    // Only punctuation leaves no morphemes, so identical texts still score 0.
    assertAllZero(rouge.score("!!! ...", "!!! ..."));
    assertAllZero(rouge.score("\n\n", "서울"));
  }

  @Test
  void identicalTextsScoreOne() {
    RougeScores s = rouge.score("서울 날씨가 맑다", "서울 날씨가 맑다");
    assertScore(s.rouge1(), 1, 1, 1);
    assertScore(s.rouge2(), 1, 1, 1);
    assertScore(s.rougeL(), 1, 1, 1);
    assertThat(s.mean()).isCloseTo(1.0, EPS);

    RougeScores twoLines = rouge.score("서울 날씨가 맑다\n내일 비가 온다", "서울 날씨가 맑다\n내일 비가 온다");
    assertThat(twoLines.mean()).isCloseTo(1.0, EPS);
  }

  @Test
  void singleMorphemeHasNoBigrams() {
    assertThat(TOKENIZER.morphs("서울")).containsExactly("서울");
    RougeScores s = rouge.score("서울", "서울");
    assertScore(s.rouge1(), 1, 1, 1);
    assertScore(s.rouge2(), 0, 0, 0);
    assertScore(s.rougeL(), 1, 1, 1);
    assertThat(s.mean()).isCloseTo(2.0 / 3, EPS);
  }

  @Test
  void clipsRepeatedNgramsAtTheOtherSidesCount() {
    assertThat(TOKENIZER.morphs("사과 배 사과 배")).containsExactly("사과", "배", "사과", "배");
    assertThat(TOKENIZER.morphs("사과 배 감")).containsExactly("사과", "배", "감");
    RougeScores s = rouge.score("사과 배 사과 배", "사과 배 감");
    // unigrams: 사과 min(2,1) + 배 min(2,1) = 2 of 4 hyp, 3 ref
    assertScore(s.rouge1(), 2.0 / 4, 2.0 / 3, 4.0 / 7);
    // bigrams: hyp {사과 배 x2, 배 사과}, ref {사과 배, 배 감}: overlap min(2,1) = 1
    assertScore(s.rouge2(), 1.0 / 3, 1.0 / 2, 2.0 / 5);
    // LCS(사과 배 감, 사과 배 사과 배) = 사과 배
    assertScore(s.rougeL(), 2.0 / 4, 2.0 / 3, 4.0 / 7);
  }

  @Test
  void rougeLTakesTheUnionOfLcsHitsOverHypothesisSentences() {
    // Lin (2004)'s example: r = w1..w5, c1 = w1 w2 w6 w7 w8, c2 = w1 w3 w8 w9 w5.
    String ref = "서울 부산 대구 광주 대전";
    String hyp = "서울 부산 울산 수원 춘천\n서울 대구 춘천 제주 대전";
    assertThat(TOKENIZER.morphs(ref)).containsExactly("서울", "부산", "대구", "광주", "대전");
    assertThat(rouge.tokensPerSentence(hyp))
        .containsExactly(
            List.of("서울", "부산", "울산", "수원", "춘천"), List.of("서울", "대구", "춘천", "제주", "대전"));
    RougeScores s = rouge.score(hyp, ref);
    // union of {서울, 부산} and {서울, 대구, 대전} = 4 hits; best single sentence would give 3
    assertScore(s.rougeL(), 4.0 / 10, 4.0 / 5, 8.0 / 15);
    // unigrams: 서울 min(2,1), 부산, 대구, 대전
    assertScore(s.rouge1(), 4.0 / 10, 4.0 / 5, 8.0 / 15);
    // ROUGE-N joins the lines, so 춘천 서울 is a bigram; only 서울 부산 overlaps (9 vs 4)
    assertScore(s.rouge2(), 1.0 / 9, 1.0 / 4, 2.0 / 13);
  }

  @Test
  void rougeLHitsAreClippedByHypothesisCounts() {
    // Both reference lines fully match, but the hypothesis has each token once.
    RougeScores s = rouge.score("서울 부산", "서울 부산\n서울 부산");
    assertScore(s.rougeL(), 2.0 / 2, 2.0 / 4, 2.0 / 3);
  }

  @Test
  void rougeLKeepsPyRougesReferenceCountSlip() {
    // r = 서울 부산 서울; LCS with "서울 부산" marks positions {0,1}, with "부산 서울" marks {1,2}.
    // Union {0,1,2}; hyp counts 서울 2, 부산 2, so all 3 hit. Ref counts (서울 2, 부산 1) are
    // never decremented (py-rouge decrements by index), which here gives the same 3.
    assertThat(TOKENIZER.morphs("서울 부산 서울")).containsExactly("서울", "부산", "서울");
    RougeScores s = rouge.score("서울 부산\n부산 서울", "서울 부산 서울");
    assertScore(s.rougeL(), 3.0 / 4, 3.0 / 3, 6.0 / 7);

    List<List<String>> hyp = List.of(List.of("서울", "부산"), List.of("부산", "서울"));
    List<List<String>> ref = List.of(List.of("서울", "부산", "서울"));
    assertThat(KoreanRouge.unionLcsHits(hyp, ref, false)).isEqualTo(3);
    assertThat(KoreanRouge.unionLcsHits(hyp, ref, true)).isEqualTo(3);
  }

  @Test
  void referenceCountSlipNeverChangesTheHitCount() {
    // Each reference position is hit at most once, so a correctly decremented reference
    // count never reaches zero early. Check that claim on many random inputs.
    Random random = new Random(7);
    String[] vocab = {"가", "나", "다"};
    for (int trial = 0; trial < 3000; trial++) {
      List<List<String>> hyp = randomSentences(random, vocab);
      List<List<String>> ref = randomSentences(random, vocab);
      assertThat(KoreanRouge.unionLcsHits(hyp, ref, false))
          .as("hyp %s ref %s", hyp, ref)
          .isEqualTo(KoreanRouge.unionLcsHits(hyp, ref, true));
    }
  }

  private static List<List<String>> randomSentences(Random random, String[] vocab) {
    List<List<String>> sentences = new ArrayList<>();
    int n = 1 + random.nextInt(3);
    for (int s = 0; s < n; s++) {
      List<String> tokens = new ArrayList<>();
      int len = random.nextInt(6);
      for (int i = 0; i < len; i++) {
        tokens.add(vocab[random.nextInt(vocab.length)]);
      }
      sentences.add(tokens);
    }
    return sentences;
  }

  @Test
  void lcsTiesDropTheReferenceTokenFirst() {
    // LCS(r = 서울 부산, h1 = 부산 서울) has length 1; py-rouge's traceback moves up on ties and
    // marks 서울 (position 0). h2 = 서울 marks position 0 again, so the union is {서울}: 1 hit.
    // (Breaking ties the other way would mark 부산 too and give 2 hits, F = 4/5.)
    RougeScores s = rouge.score("부산 서울\n서울", "서울 부산");
    assertScore(s.rougeL(), 1.0 / 3, 1.0 / 2, 2.0 / 5);
  }

  @Test
  void truncatesToTheFirstThousandWhitespaceWords() {
    // 999 words "a.a" (two morphemes each) + "b c": 1,001 words, so "c" is cut. Words are
    // counted before punctuation is removed.
    String hyp = "a.a ".repeat(999) + "b c";
    assertThat(TOKENIZER.morphs("a.a b c")).containsExactly("a", "a", "b", "c");
    List<String> tokens = rouge.tokensAsWhole(hyp);
    assertThat(tokens).hasSize(1999).endsWith("a", "b");
    RougeScores s = rouge.score(hyp, "b c");
    assertScore(s.rouge1(), 1.0 / 1999, 1.0 / 2, 2.0 / 2001);
    assertScore(s.rouge2(), 0, 0, 0); // "b c" was cut apart
    assertScore(s.rougeL(), 1.0 / 1999, 1.0 / 2, 2.0 / 2001);
  }

  @Test
  void truncationCountsWordsAcrossLines() {
    // 600 words, then 399 + "b c": the 1,000-word budget ends at "b" on the second line.
    String hyp = "a ".repeat(600) + "\n" + "a ".repeat(399) + "b c";
    assertThat(rouge.tokensPerSentence(hyp)).hasSize(2);
    assertThat(rouge.tokensPerSentence(hyp).get(1)).hasSize(400).endsWith("b");
    RougeScores s = rouge.score(hyp, "b c");
    assertScore(s.rouge1(), 1.0 / 1000, 1.0 / 2, 1.0 / 501);
    assertScore(s.rouge2(), 0, 0, 0);
    assertScore(s.rougeL(), 1.0 / 1000, 1.0 / 2, 1.0 / 501);
  }

  @Test
  void normalisesCasePunctuationAndNonHangulScripts() {
    // Lowercase first; hyphen, comma, dot, %, jamo, hanja, emoji and full-width letters go.
    assertThat(TOKENIZER.morphs(KoreanRouge.clean("GPT-4, 3.5%! ㅋㅋ 漢字 😀 Ｆ")))
        .containsExactly("gpt", "4", "3", "5");
    assertThat(KoreanRouge.clean("😀")).isEqualTo(" ");
    assertThat(KoreanRouge.splitWords(" a\u00A0b\u3000c\td ")).containsExactly("a", "b", "c", "d");

    String hyp = "GPT-4 모델이 2024년에 나왔다!";
    String ref = "gpt 4 모델, 2024년 출시";
    assertThat(rouge.tokensAsWhole(hyp))
        .containsExactly("gpt", "4", "모델", "이", "2024", "년", "에", "나왔", "다");
    assertThat(rouge.tokensAsWhole(ref)).containsExactly("gpt", "4", "모델", "2024", "년", "출시");
    RougeScores s = rouge.score(hyp, ref);
    assertScore(s.rouge1(), 5.0 / 9, 5.0 / 6, 2.0 / 3);
    // gpt 4, 4 모델, 2024 년 of 8 hyp and 5 ref bigrams
    assertScore(s.rouge2(), 3.0 / 8, 3.0 / 5, 6.0 / 13);
    assertScore(s.rougeL(), 5.0 / 9, 5.0 / 6, 2.0 / 3);
  }

  @Test
  void corpusScoreIsTheMacroAverage() {
    CorpusRougeScores c =
        rouge.scoreCorpus(
            List.of("서울 날씨가 맑다", "", "사과 배 사과 배"), List.of("서울 날씨가 맑다", "서울", "사과 배 감"));
    assertThat(c.perDocument()).hasSize(3);
    assertAllZero(c.perDocument().get(1));
    assertScore(c.average().rouge1(), (1 + 0 + 0.5) / 3, (1 + 0 + 2.0 / 3) / 3, (1 + 4.0 / 7) / 3);
    assertScore(c.average().rouge2(), (1 + 1.0 / 3) / 3, (1 + 0.5) / 3, (1 + 2.0 / 5) / 3);
    assertThat(rouge.average(List.of("서울 날씨가 맑다"), List.of("서울 날씨가 맑다")).mean())
        .isCloseTo(1.0, EPS);
    assertAllZero(rouge.average(List.of(), List.of()));
  }

  @Test
  void rejectsMismatchedCorpora() {
    assertThatThrownBy(() -> rouge.scoreCorpus(List.of("a"), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 hypotheses but 0 references");
  }
}
