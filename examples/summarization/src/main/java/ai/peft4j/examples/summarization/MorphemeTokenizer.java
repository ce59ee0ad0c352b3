package ai.peft4j.examples.summarization;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ko.KoreanTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * Splits Korean text into morpheme surface forms, like Mecab's {@code morphs()}.
 *
 * <p>Backed by Lucene nori's {@link KoreanTokenizer} with its embedded mecab-ko-dic (2.0.3)
 * dictionary, no user dictionary, {@link KoreanTokenizer.DecompoundMode#NONE} (so
 * compounds and inflected forms keep their surface, e.g. {@code 했}) and punctuation
 * discarded. No part-of-speech filtering is applied. Instances are thread-safe: each
 * thread reuses its own nori tokenizer.
 *
 * <pre>{@code
 * MorphemeTokenizer tokenizer = new MorphemeTokenizer();
 * List<String> morphs = tokenizer.morphs("서울 날씨가 맑다");
 * // [서울, 날씨, 가, 맑, 다]
 * }</pre>
 */
public final class MorphemeTokenizer {

  // A nori tokenizer is stateful and not thread-safe, but costly enough to keep around.
  private final ThreadLocal<Session> sessions = ThreadLocal.withInitial(Session::new);

  /** Creates a tokenizer using nori's default dictionary. */
  public MorphemeTokenizer() {}

  /**
   * Returns the morphemes of {@code text} in order; whitespace and punctuation yield none.
   *
   * @param text any text, possibly empty
   * @return the surface form of every morpheme
   */
  public List<String> morphs(String text) {
    Objects.requireNonNull(text, "text");
    List<String> out = new ArrayList<>();
    if (text.isBlank()) {
      return out;
    }
    sessions.get().tokenize(text, out);
    return out;
  }

  private static final class Session {
    private final KoreanTokenizer tokenizer =
        new KoreanTokenizer(
            TokenStream.DEFAULT_TOKEN_ATTRIBUTE_FACTORY,
            null,
            KoreanTokenizer.DecompoundMode.NONE,
            false,
            true);
    private final CharTermAttribute term = tokenizer.addAttribute(CharTermAttribute.class);

    void tokenize(String text, List<String> out) {
      try {
        tokenizer.setReader(new StringReader(text));
        try {
          tokenizer.reset();
          while (tokenizer.incrementToken()) {
            out.add(term.toString());
          }
          tokenizer.end();
        } finally {
          // Always close, or the next setReader() on this thread fails.
          tokenizer.close();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e); // cannot happen with a StringReader
      }
    }
  }
}
