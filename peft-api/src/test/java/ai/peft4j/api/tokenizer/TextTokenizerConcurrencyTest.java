package ai.peft4j.api.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.testkit.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One {@link TextTokenizer} shared by 8 threads gives every thread the single-threaded ids and text. */
class TextTokenizerConcurrencyTest {
    @Test
    void encodeAndDecodeFromEightThreadsMatchOneThread() throws Exception {
        try (TextTokenizer tok = TextTokenizer.load(Fixtures.model("tiny-gpt2"))) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                texts.add("이 영화 정말 재밌어요! " + i + " 다음 글을 한 줄로 요약하세요: 오늘 서울은 맑고 " + "따뜻한 ".repeat(i % 7));
            }
            List<int[]> ids = new ArrayList<>();
            List<String> decoded = new ArrayList<>();
            for (String t : texts) {
                ids.add(tok.encode(t));
                decoded.add(tok.decode(ids.get(ids.size() - 1), true));
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> jobs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int offset = t;
                    jobs.add(pool.submit(() -> {
                        for (int n = 0; n < 100; n++) {
                            int k = (n + offset * 5) % texts.size();
                            int[] got = tok.encode(texts.get(k));
                            assertThat(got).isEqualTo(ids.get(k));
                            assertThat(tok.decode(got, true)).isEqualTo(decoded.get(k));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : jobs) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
