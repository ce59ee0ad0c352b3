package ai.peft4j.api.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.testkit.Fixtures;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * The fixtures' recorded encodings, made by Hugging Face {@code tokenizers}: every sample must
 * encode to exactly the recorded ids and tokens and decode to the recorded text. 206 samples for
 * the Korean byte-level BPE (Korean, English, emoji; whitespace runs, tabs, CRLF, NBSP, combining
 * marks, {@code <|endoftext|>} inside text) and 65 for stories260k's SentencePiece-style BPE with
 * byte fallback (where {@code <s>} in the text is split out as a special token, as HF does).
 */
class TextTokenizerGoldenEncodingsTest {

    @Test
    void koBpe1250EncodesAll206SamplesExactly() {
        Path dir = Fixtures.root().resolve("tokenizer/ko-bpe-1250");
        JsonObject golden = Fixtures.json(dir.resolve("encodings.json"));
        assertThat(golden.get("add_special_tokens").getAsBoolean()).isTrue();
        assertThat(golden.get("decoded_skip_special_tokens").getAsBoolean()).isFalse();
        int n = checkAll(dir, golden, false);
        assertThat(n).isEqualTo(206);
    }

    @Test
    void stories260kEncodesAll65SamplesExactly() {
        Path dir = Fixtures.model("stories260k");
        JsonObject golden = Fixtures.json(dir.resolve("tokenizer-encodings.json"));
        assertThat(golden.get("add_special_tokens").getAsBoolean()).isTrue();
        assertThat(golden.get("decoded_skip_special_tokens").getAsBoolean()).isTrue();
        int n = checkAll(dir, golden, true);
        assertThat(n).isEqualTo(65);
    }

    /** The tiny models carry copies of the Korean tokenizer; they encode the same. */
    @Test
    void everyTinyModelsTokenizerIsTheKoreanOne() {
        JsonObject golden = Fixtures.json(Fixtures.root().resolve("tokenizer/ko-bpe-1250/encodings.json"));
        String text = golden.getAsJsonArray("samples").get(0).getAsJsonObject().get("text").getAsString();
        int[] ids = Fixtures.ints(golden.getAsJsonArray("samples").get(0).getAsJsonObject().getAsJsonArray("ids"));
        for (String m : Fixtures.MODELS) {
            if (!m.equals("stories260k")) {
                try (TextTokenizer tok = TextTokenizer.load(Fixtures.model(m))) {
                    assertThat(tok.encode(text)).as(m).containsExactly(ids);
                }
            }
        }
    }

    private static int checkAll(Path dir, JsonObject golden, boolean skipSpecial) {
        SoftAssertions soft = new SoftAssertions();
        int n = 0;
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            for (JsonElement e : golden.getAsJsonArray("samples")) {
                JsonObject s = e.getAsJsonObject();
                String text = s.get("text").getAsString();
                String what = "sample " + n + " " + (s.has("kind") ? s.get("kind").getAsString() + " " : "") + quote(text);
                int[] ids = Fixtures.ints(s.getAsJsonArray("ids"));
                soft.assertThat(tok.encode(text)).as(what + " ids").containsExactly(ids);
                soft.assertThat(tok.tokens(text)).as(what + " tokens").containsExactly(strings(s.get("tokens")));
                soft.assertThat(tok.decode(ids, skipSpecial)).as(what + " decoded").isEqualTo(s.get("decoded").getAsString());
                if (s.has("decoded_skip_special")) {
                    soft.assertThat(tok.decode(ids, true)).as(what + " decoded, skipping special tokens")
                            .isEqualTo(s.get("decoded_skip_special").getAsString());
                }
                n++;
            }
        }
        soft.assertAll();
        return n;
    }

    private static String[] strings(JsonElement e) {
        List<String> out = new ArrayList<>();
        e.getAsJsonArray().forEach(x -> out.add(x.getAsString()));
        return out.toArray(new String[0]);
    }

    private static String quote(String text) {
        String t = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return "'" + t.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "'";
    }
}
