package ai.peft4j.api.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.peft4j.api.Peft4jException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A thin facade over DJL's {@link HuggingFaceTokenizer} that reads a directory's
 * {@code tokenizer.json} offline and never truncates or pads (DJL's defaults do both).
 * Thread-safe.
 *
 * <pre>{@code
 * try (TextTokenizer tok = TextTokenizer.load(Path.of("models/tiny-gpt2"))) {
 *   int[] ids = tok.encode("이 영화 정말 재밌어요!");
 *   String text = tok.decode(ids, false);
 * }
 * }</pre>
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final Path source;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, Path source) {
        this.tokenizer = tokenizer;
        this.source = source;
    }

    /** Loads {@code tokenizer.json} from a model directory, or the file itself. */
    public static TextTokenizer load(Path dirOrFile) {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.json") : dirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new Peft4jException(file + ": not found (peft4j reads the fast tokenizer's tokenizer.json)");
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
            return new TextTokenizer(t, file);
        } catch (IOException | RuntimeException e) {
            throw new Peft4jException(file + ": cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    /** Encodes with the tokenizer's post-processor (Hugging Face's {@code add_special_tokens=True}). */
    public int[] encode(String text) {
        return encode(text, true);
    }

    /** Encodes text; {@code addSpecialTokens} controls the post-processor's BOS/EOS. */
    public int[] encode(String text, boolean addSpecialTokens) {
        Encoding e = tokenizer.encode(text, addSpecialTokens, false);
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    /** The token strings of an encoding, for debugging and tests. */
    public String[] tokens(String text) {
        return tokenizer.encode(text, true, false).getTokens();
    }

    /** Decodes ids to text. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, skipSpecialTokens);
    }

    /** The file this tokenizer was read from. */
    public Path source() {
        return source;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
