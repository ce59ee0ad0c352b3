package ai.peft4j.examples.summarization;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import ai.peft4j.testkit.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class SummarizerTest {
    @Test
    void firstSentenceStopsAtTheFirstSentenceEndButNotInsideNumbers() {
        assertThat(Summarizer.firstSentence("금리가 3.5%로 올랐다. 시장은 놀랐다.")).isEqualTo("금리가 3.5%로 올랐다.");
        assertThat(Summarizer.firstSentence("첫 줄\n둘째 줄")).isEqualTo("첫 줄");
        assertThat(Summarizer.firstSentence("  끝 없는 문장  ")).isEqualTo("끝 없는 문장");
        assertThat(Summarizer.firstSentence("정말? 그렇다.")).isEqualTo("정말?");
    }

    @Test
    void batchedLeftPaddedSummariesEqualOneAtATimeAndKeepInputOrder() {
        List<String> docs = List.of("이 영화 정말 재밌어요! 배우들 연기도 최고", "별로였어요 ㅠㅠ", "오늘 서울은 맑고 포근하겠습니다.");
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-gpt2"), Engines.byName("pytorch"), new EngineOptions("cpu", 0));
                TextTokenizer tok = TextTokenizer.load(Fixtures.model("tiny-gpt2"))) {
            GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(8).eosTokenId(1249).build();
            List<String> batched = new Summarizer(model, tok, cfg).setBatchSize(3).summarize(docs);
            Summarizer single = new Summarizer(model, tok, cfg).setBatchSize(1);
            for (int i = 0; i < docs.size(); i++) {
                assertThat(batched.get(i)).as("doc " + i).isEqualTo(single.summarize(List.of(docs.get(i))).get(0));
            }
            assertThat(batched).doesNotHaveDuplicates();
        }
    }

    @Test
    void aDocumentLongerThanTheContextIsCutFromTheFrontAndCounted() {
        try (PeftModel model = PeftModel.open(Fixtures.model("tiny-gpt2"), Engines.byName("pytorch"), new EngineOptions("cpu", 0));
                TextTokenizer tok = TextTokenizer.load(Fixtures.model("tiny-gpt2"))) {
            GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(8).eosTokenId(1249).build();
            Summarizer s = new Summarizer(model, tok, cfg);
            String longDoc = "아주 긴 문서입니다. ".repeat(40);
            assertThat(s.promptIds(longDoc)).hasSize(128 - 8);
            assertThat(s.truncatedCount()).isEqualTo(1);
            assertThat(s.summarize(List.of(longDoc))).hasSize(1);
        }
    }
}
