package ai.peft4j.examples.pretrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.engine.EngineOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pretraining corpus: text lines, chatbot Q/A columns, and the train documents weighted up, never the summaries. */
class KoreanBasePretrainingTest {
    @TempDir
    Path tmp;

    @Test
    void readCorpusRepeatsTheDocumentsAndLeavesOutTheSummaries() throws IOException {
        Path corpus = Files.createDirectories(tmp.resolve("corpus"));
        Files.writeString(corpus.resolve("reviews.txt"), "재밌다\n\n지루했다\n", StandardCharsets.UTF_8);
        Files.writeString(corpus.resolve("chat.csv"), "Q,A,label\n안녕,반가워,0\n", StandardCharsets.UTF_8);
        Path train = tmp.resolve("train.csv");
        Files.writeString(train, "id,text,summary\nA,첫 문서다.,첫 요약\nB,\"둘째, 문서다.\",둘째 요약\n", StandardCharsets.UTF_8);

        KoreanBasePretraining recipe = new KoreanBasePretraining(null, EngineOptions.defaults()).setDocumentRepeat(3);
        List<String> lines = recipe.readCorpus(corpus, train);

        assertThat(lines).containsExactly("안녕", "반가워", "재밌다", "지루했다",
                "첫 문서다.", "둘째, 문서다.", "첫 문서다.", "둘째, 문서다.", "첫 문서다.", "둘째, 문서다.");
        assertThat(lines).noneMatch(l -> l.contains("요약"));
    }

    @Test
    void documentRepeatBelowOneIsRefused() {
        assertThatThrownBy(() -> new KoreanBasePretraining(null, EngineOptions.defaults()).setDocumentRepeat(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1, got 0");
    }
}
