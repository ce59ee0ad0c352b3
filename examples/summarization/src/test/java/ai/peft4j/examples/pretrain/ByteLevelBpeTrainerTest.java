package ai.peft4j.examples.pretrain;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteLevelBpeTrainerTest {
    @TempDir
    Path dir;

    private static final List<String> CORPUS = List.of(
            "오늘 서울의 날씨는 맑고 기온은 영상 5도입니다.",
            "내일 서울의 날씨는 흐리고 비가 오겠습니다.",
            "The weather in Seoul is clear today.",
            "삼성전자는 3분기 영업이익이 10조 원이라고 밝혔다.",
            "이 영화 정말 재밌어요! 배우들 연기도 최고 😀",
            "  tabs\tand   spaces\r\nnewlines  ");

    @Test
    void trainedTokenizerLoadsInDjlAndRoundTripsAnyText() {
        ByteLevelBpeTrainer trainer = new ByteLevelBpeTrainer(400);
        for (int i = 0; i < 20; i++) {
            CORPUS.forEach(trainer::add);
        }
        trainer.train();
        trainer.save(dir, 256);
        assertThat(trainer.size()).isLessThanOrEqualTo(400);
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            for (String text : CORPUS) {
                int[] ids = tok.encode(text);
                assertThat(tok.decode(ids, false)).isEqualTo(text);
                assertThat(ids.length).as("merges shorten frequent text: " + text).isLessThan(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            }
            String unseen = "처음 보는 문장 ☃ αβγ";
            assertThat(tok.decode(tok.encode(unseen), false)).isEqualTo(unseen);
            assertThat(tok.encode(ByteLevelBpeTrainer.EOS)).containsExactly(trainer.eosId());
        }
    }

    @Test
    void trainingIsDeterministic() throws Exception {
        ByteLevelBpeTrainer a = new ByteLevelBpeTrainer(300);
        ByteLevelBpeTrainer b = new ByteLevelBpeTrainer(300);
        CORPUS.forEach(a::add);
        CORPUS.forEach(b::add);
        a.train();
        b.train();
        java.nio.file.Files.createDirectories(dir.resolve("a"));
        java.nio.file.Files.createDirectories(dir.resolve("b"));
        a.save(dir.resolve("a"), 64);
        b.save(dir.resolve("b"), 64);
        assertThat(dir.resolve("a/tokenizer.json")).hasSameTextualContentAs(dir.resolve("b/tokenizer.json"));
    }
}
