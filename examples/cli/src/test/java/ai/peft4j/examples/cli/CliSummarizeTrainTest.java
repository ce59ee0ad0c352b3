package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.peft.AdapterFiles;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code summarize train} on the embedded base: the shared training flags reach the trainer and the method config. */
class CliSummarizeTrainTest {
    private static final Path EMBEDDED = Path.of("..", "demo", "ko-base");

    @TempDir
    Path tmp;

    @Test
    void trainsAPromptTuningAdapterWithTheFlagsGiven() throws IOException {
        Path data = Files.writeString(tmp.resolve("train.csv"), "id,text,summary\n"
                + "a,서울시는 다음 달부터 청년 창업 지원 신청을 받는다. 신청은 온라인으로 할 수 있다.,서울시 청년 창업 지원 신청 시작\n"
                + "b,부산 지역에 내일 많은 비가 내릴 것으로 보인다. 기상청은 비 피해에 대비하라고 당부했다.,부산 내일 많은 비\n"
                + "c,프로축구 인천 등대가 서울 불꽃을 2대 1로 이겼다.,인천 등대 서울 불꽃에 2대 1 승리\n"
                + "d,대전시는 65세 이상 어르신에게 난방비를 지원한다.,대전시 어르신 난방비 지원\n");
        Path out = tmp.resolve("pt");
        CliRun run = CliRun.of("summarize", "train", "--model", EMBEDDED.toString(), "--data", data.toString(), "--out", out.toString(),
                "--method", "prompt-tuning", "--set", "num_virtual_tokens=4", "--epochs", "2", "--batch", "2", "--lr", "0.05",
                "--max-length", "64", "--seed", "7", "--threads", "1");
        assertThat(run.exit()).as(run.toString()).isZero();
        // 4 examples, batch 2, 2 epochs
        assertThat(run.out()).contains("4 steps in").contains("final loss").contains("adapter saved to " + out);
        JsonObject config = JsonParser.parseString(Files.readString(out.resolve(AdapterFiles.CONFIG))).getAsJsonObject();
        assertThat(config.get("peft_type").getAsString()).isEqualTo("PROMPT_TUNING");
        assertThat(config.get("num_virtual_tokens").getAsInt()).isEqualTo(4);
        assertThat(Files.isRegularFile(out.resolve(AdapterFiles.WEIGHTS))).isTrue();
    }
}
