package ai.peft4j.examples.summarization;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class MorphemeTokenizerTest {

  private final MorphemeTokenizer tokenizer = new MorphemeTokenizer();

  @Test
  void splitsIntoMorphemeSurfaces() {
    assertThat(tokenizer.morphs("서울 날씨가 맑다")).containsExactly("서울", "날씨", "가", "맑", "다");
    assertThat(tokenizer.morphs("사과와 배")).containsExactly("사과", "와", "배");
  }

  @Test
  void keepsCompoundsAndInflectedFormsWhole() {
    // DecompoundMode.NONE: 한국은행 stays one token and 했 is not rewritten to 하+였.
    assertThat(tokenizer.morphs("한국은행은 기준금리를 동결했다"))
        .containsExactly("한국은행", "은", "기준", "금리", "를", "동결", "했", "다");
    assertThat(tokenizer.morphs("내일 비가 온다")).containsExactly("내일", "비", "가", "온다");
  }

  @Test
  void dropsPunctuationAndKeepsLatinAndDigitRuns() {
    assertThat(tokenizer.morphs("GPT-4 모델이 2024년에 나왔다!"))
        .containsExactly("GPT", "4", "모델", "이", "2024", "년", "에", "나왔", "다");
    assertThat(tokenizer.morphs("")).isEmpty();
    assertThat(tokenizer.morphs("  \n ")).isEmpty();
    assertThat(tokenizer.morphs("!!! ...")).isEmpty();
  }

  @Test
  void isSafeToShareAcrossThreads() throws Exception {
    List<String> texts =
        List.of("서울 날씨가 맑다", "한국은행은 기준금리를 동결했다", "사과 배 사과 배", "내일 비가 온다");
    List<List<String>> expected = texts.stream().map(tokenizer::morphs).toList();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        results.add(
            pool.submit(
                () -> {
                  for (int round = 0; round < 200; round++) {
                    int k = round % texts.size();
                    if (!tokenizer.morphs(texts.get(k)).equals(expected.get(k))) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> r : results) {
        assertThat(r.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
