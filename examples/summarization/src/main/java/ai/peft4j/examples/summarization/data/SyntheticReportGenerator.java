package ai.peft4j.examples.summarization.data;

import ai.peft4j.examples.summarization.data.ReportTopics.Draft;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates the embedded synthetic Korean summarization dataset: short report-style documents
 * (2–5 sentences, 150–400 characters) with a one-sentence summary (20–60 characters).
 *
 * <p>Eleven topics: weather, sports results, company earnings, traffic, public announcements,
 * science briefs, culture events, real estate, health advisories, fires and the stock market.
 * Entities (cities, teams, companies, people) and numbers come from pools; every fact has
 * several phrasings; sentences are shuffled; and distractor sentences about other entities are
 * mixed in, so a model has to read the document to write its summary. Summaries reuse the
 * document's words and come in several phrasings per topic.
 *
 * <p>The text is data: every topic's templates are in {@code synthetic/templates.json} and the
 * entity pools in {@code synthetic/pools.json}, next to the bundled files on the classpath (both
 * describe their format in their {@code about} entry). The Java holds the logic: what each topic
 * draws and which of its variants is written ({@code ReportTopics}), and how the units become a
 * document (here).
 *
 * <p>The hand-written pairs in {@code handwritten.csv} (next to this class on the classpath)
 * are mixed into the training split at seeded positions with ids {@code HAND_nnn}. Generated
 * ids are {@code TRAIN_nnnn} and {@code TEST_nnn}. No text occurs twice across both splits.
 * The output depends only on the seed and sizes: the same arguments give byte-identical files.
 *
 * <p>Unlike the competition's test.csv, which has only {@code id,text}, the generated test.csv
 * keeps the reference summary so the demo can score itself.
 *
 * <pre>{@code
 * SyntheticReportGenerator.Splits data = SyntheticReportGenerator.generate(
 *     SyntheticReportGenerator.DEFAULT_SEED, 2000, 200);
 * SummarizationExample first = data.train().get(0);
 * // or, from the command line: write train.csv and test.csv into a folder
 * // peft4j summarize data --out DIR [--seed N] [--train N] [--test N]
 * }</pre>
 */
public final class SyntheticReportGenerator {

  /** Seed of the embedded files. */
  public static final long DEFAULT_SEED = 20240917L;

  /** Generated training pairs in the embedded train.csv (the hand-written ones come on top). */
  public static final int DEFAULT_TRAIN = 2000;

  /** Pairs in the embedded test.csv. */
  public static final int DEFAULT_TEST = 200;

  /** Classpath name of the hand-written pairs, inside {@link SummarizationData#RESOURCE_DIR}. */
  public static final String HANDWRITTEN = "handwritten.csv";

  static final int MIN_TEXT_CHARS = 150;
  static final int MAX_TEXT_CHARS = 400;
  static final int MIN_SUMMARY_CHARS = 20;
  static final int MAX_SUMMARY_CHARS = 60;
  static final int MAX_SENTENCES = 5;

  private static final Pattern SENTENCE_END = Pattern.compile("다\\.(?=\\s|$)");

  /**
   * The two splits.
   *
   * <pre>{@code
   * Splits s = SyntheticReportGenerator.generate(42, 100, 10);
   * SummarizationData.writeCsv(Path.of("train.csv"), s.train());
   * }</pre>
   *
   * @param train generated plus hand-written pairs
   * @param test generated pairs with reference summaries
   */
  public record Splits(List<SummarizationExample> train, List<SummarizationExample> test) {
    /**
     * Makes both lists immutable.
     *
     * @param train training pairs
     * @param test test pairs
     */
    public Splits {
      train = List.copyOf(train);
      test = List.copyOf(test);
    }
  }

  /** A generated pair with what the tests need to check it. */
  record Report(SummarizationExample example, String topic, String keyEntity) {}

  private final Random rnd;
  private final ReportTopics topics;
  private final Set<String> seenTexts = new HashSet<>();

  private SyntheticReportGenerator(long seed) {
    this.rnd = new Random(seed);
    this.topics = new ReportTopics(rnd);
  }

  /**
   * Generates both splits.
   *
   * @param seed random seed; equal seeds give equal output
   * @param nTrain generated training pairs (the hand-written pairs are added on top)
   * @param nTest test pairs
   * @return the splits
   */
  public static Splits generate(long seed, int nTrain, int nTest) {
    GeneratedSplits g = generateReports(seed, nTrain, nTest);
    return new Splits(
        g.train().stream().map(Report::example).toList(),
        g.test().stream().map(Report::example).toList());
  }

  /**
   * Writes {@code train.csv} and {@code test.csv} into {@code dir}, each atomically. The defaults
   * ({@link #DEFAULT_SEED}, {@link #DEFAULT_TRAIN}, {@link #DEFAULT_TEST}) rewrite the bundled files
   * byte for byte.
   *
   * @param dir output folder, created if missing
   * @param seed random seed
   * @param nTrain generated training pairs
   * @param nTest test pairs
   * @return the splits written
   * @throws IOException if writing fails
   */
  public static Splits write(Path dir, long seed, int nTrain, int nTest) throws IOException {
    Splits splits = generate(seed, nTrain, nTest);
    SummarizationData.writeCsv(dir.resolve("train.csv"), splits.train());
    SummarizationData.writeCsv(dir.resolve("test.csv"), splits.test());
    return splits;
  }

  record GeneratedSplits(List<Report> train, List<Report> test) {}

  static GeneratedSplits generateReports(long seed, int nTrain, int nTest) {
    if (nTrain < 0 || nTest < 0) {
      throw new IllegalArgumentException("sizes must be >= 0");
    }
    SyntheticReportGenerator g = new SyntheticReportGenerator(seed);
    List<SummarizationExample> handwritten = SummarizationData.readResource(HANDWRITTEN);
    for (SummarizationExample h : handwritten) {
      g.seenTexts.add(h.text());
    }
    List<Report> train = new ArrayList<>(nTrain + handwritten.size());
    for (int i = 0; i < nTrain; i++) {
      train.add(g.next(String.format(Locale.ROOT, "TRAIN_%04d", i)));
    }
    List<Report> test = new ArrayList<>(nTest);
    for (int i = 0; i < nTest; i++) {
      test.add(g.next(String.format(Locale.ROOT, "TEST_%03d", i)));
    }
    // Hand-written pairs go to seeded positions in the training split.
    for (SummarizationExample h : handwritten) {
      train.add(g.rnd.nextInt(train.size() + 1), new Report(h, "handwritten", null));
    }
    return new GeneratedSplits(train, test);
  }

  // ---- assembly -----------------------------------------------------------------------------

  private Report next(String id) {
    for (int attempt = 0; attempt < 200; attempt++) {
      Draft d = topics.draft();
      String text = assemble(d);
      if (text == null
          || d.summary.length() < MIN_SUMMARY_CHARS
          || d.summary.length() > MAX_SUMMARY_CHARS
          || !seenTexts.add(text)) {
        continue;
      }
      return new Report(new SummarizationExample(id, text, d.summary), d.topic, d.key);
    }
    throw new IllegalStateException("could not generate a valid document for " + id);
  }

  /** Picks, orders and joins the units; null when the length rules cannot be met. */
  private String assemble(Draft d) {
    List<String> extras = new ArrayList<>();
    List<String> optional = shuffled(d.optional);
    List<String> distractors = shuffled(d.distractors);
    int target = 2 + rnd.nextInt(MAX_SENTENCES - 1);
    // A per-document minimum spreads lengths over the allowed range.
    int minChars = MIN_TEXT_CHARS + rnd.nextInt(100);
    List<String> chosen = new ArrayList<>(d.required);
    while ((sentences(chosen) < target || length(chosen) < minChars)
        && (!optional.isEmpty() || !distractors.isEmpty())) {
      boolean takeDistractor =
          !distractors.isEmpty() && (optional.isEmpty() || rnd.nextInt(100) < 35);
      String unit = takeDistractor ? distractors.remove(0) : optional.remove(0);
      if (sentences(chosen) + sentences(List.of(unit)) > MAX_SENTENCES) {
        continue;
      }
      chosen.add(unit);
      extras.add(unit);
    }
    // Too long: drop extras, last added first.
    while (length(chosen) > MAX_TEXT_CHARS && !extras.isEmpty()) {
      chosen.remove(extras.remove(extras.size() - 1));
    }
    int len = length(chosen);
    if (len < MIN_TEXT_CHARS || len > MAX_TEXT_CHARS || sentences(chosen) < 2) {
      return null;
    }
    // Order: usually the lead first, as in news; otherwise a context-free unit opens, so the
    // summary cannot simply be read off the first sentence.
    String first = d.required.get(0);
    List<String> openers = new ArrayList<>(chosen);
    openers.retainAll(d.openers);
    if (!openers.isEmpty() && rnd.nextInt(100) >= 60) {
      first = openers.get(rnd.nextInt(openers.size()));
    }
    List<String> rest = new ArrayList<>(chosen);
    rest.remove(first);
    List<String> ordered = new ArrayList<>();
    ordered.add(first);
    ordered.addAll(shuffled(rest));
    return String.join(" ", ordered);
  }

  private static int length(List<String> units) {
    return String.join(" ", units).length();
  }

  static int sentences(List<String> units) {
    int n = 0;
    for (String u : units) {
      Matcher m = SENTENCE_END.matcher(u);
      while (m.find()) {
        n++;
      }
    }
    return n;
  }

  private List<String> shuffled(List<String> in) {
    List<String> out = new ArrayList<>(in);
    for (int i = out.size() - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      String t = out.get(i);
      out.set(i, out.get(j));
      out.set(j, t);
    }
    return out;
  }
}
