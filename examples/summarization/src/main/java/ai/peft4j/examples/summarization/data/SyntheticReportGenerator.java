package ai.peft4j.examples.summarization.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
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
 * // java ... SyntheticReportGenerator <outputDir> [seed] [nTrain] [nTest]
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
  private final Set<String> seenTexts = new HashSet<>();

  private SyntheticReportGenerator(long seed) {
    this.rnd = new Random(seed);
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
   * Writes {@code train.csv} and {@code test.csv} into {@code dir}, each atomically.
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

  /**
   * Command line: {@code <outputDir> [seed] [nTrain] [nTest]}; defaults reproduce the embedded
   * files.
   *
   * @param args see above
   * @throws IOException if writing fails
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 4) {
      System.err.println("usage: SyntheticReportGenerator <outputDir> [seed] [nTrain] [nTest]");
      System.exit(2);
    }
    long seed = args.length > 1 ? Long.parseLong(args[1]) : DEFAULT_SEED;
    int nTrain = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_TRAIN;
    int nTest = args.length > 3 ? Integer.parseInt(args[3]) : DEFAULT_TEST;
    Splits s = write(Path.of(args[0]), seed, nTrain, nTest);
    System.out.printf(
        "wrote %d train and %d test pairs (seed %d) to %s%n",
        s.train().size(), s.test().size(), seed, args[0]);
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

  /** Sentences for one document, sorted by role. */
  private static final class Draft {
    final String topic;
    String key;
    String summary;
    /** Units the summary depends on; the first is the lead. A unit may hold two sentences. */
    final List<String> required = new ArrayList<>();
    /** More about the same event, never in the summary. */
    final List<String> optional = new ArrayList<>();
    /** About other entities; never the first sentence. */
    final List<String> distractors = new ArrayList<>();
    /** Optional units that read well as a document's first sentence. */
    final List<String> openers = new ArrayList<>();

    Draft(String topic) {
      this.topic = topic;
    }
  }

  private Report next(String id) {
    List<Supplier<Draft>> topics =
        List.of(
            this::weather,
            this::sports,
            this::earnings,
            this::traffic,
            this::announcement,
            this::science,
            this::culture,
            this::realEstate,
            this::health,
            this::fire,
            this::stocks);
    for (int attempt = 0; attempt < 200; attempt++) {
      Draft d = topics.get(rnd.nextInt(topics.size())).get();
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

  // ---- random helpers -----------------------------------------------------------------------

  private String pick(String... options) {
    return options[rnd.nextInt(options.length)];
  }

  private String pickOther(String[] options, String... not) {
    while (true) {
      String o = pick(options);
      if (!List.of(not).contains(o)) {
        return o;
      }
    }
  }

  private int between(int lo, int hi) {
    return lo + rnd.nextInt(hi - lo + 1);
  }

  private boolean chance(int percent) {
    return rnd.nextInt(100) < percent;
  }

  private static String num(int n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** Adds an optional unit that may also open the document. */
  private static void opener(Draft d, String unit) {
    d.optional.add(unit);
    d.openers.add(unit);
  }

  /** Money in 억 원 units the way Korean news writes it: 3조 2,820억 원. */
  static String eok(int n) {
    if (n < 10000) {
      return num(n) + "억 원";
    }
    return n % 10000 == 0
        ? (n / 10000) + "조 원"
        : (n / 10000) + "조 " + num(n % 10000) + "억 원";
  }

  private Vars vars() {
    return new Vars(rnd);
  }

  private String person() {
    return pick(Pools.SURNAMES) + pick(Pools.GIVEN_NAMES);
  }

  // ---- topics -------------------------------------------------------------------------------

  private Draft weather() {
    Draft d = new Draft("weather");
    String city = pick(Pools.CITIES);
    Vars v =
        vars()
            .put("C", city)
            .put("C2", pickOther(Pools.CITIES, city))
            .put("D", pick("내일", "모레", "이번 주말", "오는 금요일", "오는 일요일", "오늘 밤"));
    d.key = city;
    switch (rnd.nextInt(5)) {
      case 0 -> {
        int lo = 5 * between(1, 8);
        v.put("lo", lo).put("hi", lo + 10 * between(1, 6)).put("t", between(14, 27));
        d.required.add(
            v.any(
                "{D} {C:은} [오전|새벽|오후]부터 비가 내려 {lo}~{hi}밀리미터의 강수량이 예상된다.",
                "기상청은 {D} {C}에 {lo}에서 {hi}밀리미터의 비가 내릴 것으로 [내다봤다|예보했다|전망했다].",
                "{D} {C} 지역에는 최대 {hi}밀리미터의 [많은|강한] 비가 쏟아지겠다."));
        d.summary =
            v.any(
                "{D} {C}에 최대 {hi}밀리미터의 비가 내리겠다.",
                "{C}, {D} 최대 {hi}밀리미터 비 예보",
                "{D} {C} 지역에 최대 {hi}밀리미터의 비가 예상된다.");
        d.optional.add(v.f("비는 [밤늦게|다음 날 오전|저녁 무렵] 대부분 그치겠다."));
        opener(d, v.f("[출근길|퇴근길] 교통 혼잡이 예상되니 우산을 [꼭|미리] 챙기는 것이 좋겠다."));
        d.optional.add(v.f("[강한 바람을 동반한|천둥과 번개가 치는] 곳도 있어 시설물 관리에 유의해야 한다."));
        d.optional.add(v.f("낮 최고기온은 {t}도로 [평년보다 조금 낮겠다|어제와 비슷하겠다]."));
        v.put("x", between(5, 60));
        d.distractors.add(v.f("한편 {C2:은} [대체로 맑은 날씨를 보이겠다|구름만 많고 비 소식은 없겠다]."));
        d.distractors.add(v.f("지난주 {C2}에는 {x}밀리미터의 비가 내린 바 있다."));
      }
      case 1 -> {
        int lo = between(1, 5);
        v.put("lo", lo).put("hi", lo + between(2, 15)).put("t", between(3, 15));
        d.required.add(
            v.any(
                "{D} {C}에는 {lo}~{hi}센티미터의 눈이 [쌓이겠다|내리겠다].",
                "기상청은 {D} {C}에 최대 {hi}센티미터의 눈이 내릴 것으로 [예보했다|내다봤다].",
                "{D} {C} 지역에 많은 눈이 [예상되며|내리면서] 적설량은 최대 {hi}센티미터에 이르겠다."));
        d.summary =
            v.any(
                "{D} {C}에 최대 {hi}센티미터의 눈이 내리겠다.",
                "{C}, {D} 최대 {hi}센티미터 눈 예보",
                "{D} {C} 지역에 최대 {hi}센티미터의 눈이 예상된다.");
        d.optional.add(v.f("눈이 얼어붙으면서 [빙판길|도로 곳곳이 미끄러워] 교통사고에 각별히 주의해야 한다."));
        d.optional.add(v.f("아침 최저기온은 영하 {t}도까지 떨어지겠다."));
        d.optional.add(v.f("[산간 도로|고갯길] 일부는 [통제될 수 있다|차량 운행이 어려울 수 있다]."));
        opener(d, v.f("[대중교통을 이용하고|외출 시 미끄럼에 대비하고] 안전에 유의해 달라는 당부가 나왔다."));
        v.put("x", between(1, 9));
        d.distractors.add(v.f("한편 {C2:은} [눈 대신 비가 조금 내리겠다|대체로 맑겠다]."));
        d.distractors.add(v.f("지난 주말 {C2}에는 {x}센티미터의 눈이 쌓인 바 있다."));
      }
      case 2 -> {
        v.put("t", between(33, 38)).put("t2", between(27, 32));
        d.required.add(
            v.any(
                "{D} {C}의 낮 최고기온이 {t}도까지 오르며 무더위가 이어지겠다.",
                "{C}에 폭염특보가 내려진 가운데 {D} 낮 기온이 {t}도에 이를 [전망이다|것으로 보인다].",
                "기상청은 {D} {C}의 최고기온을 {t}도로 [예상했다|내다봤다]."));
        d.summary =
            v.any(
                "{D} {C} 낮 최고기온 {t}도, 무더위 계속",
                "{D} {C}의 낮 최고기온이 {t}도까지 오르겠다.",
                "{C}, {D} 최고기온 {t}도 폭염 예상");
        opener(d, v.f("한낮에는 야외 활동을 [자제하고|줄이고] 물을 자주 마셔야 한다."));
        d.optional.add(v.f("밤에도 기온이 25도 아래로 내려가지 않는 열대야가 [나타나겠다|이어지겠다]."));
        d.optional.add(v.f("[어르신과 어린이는|노약자는] 온열질환에 걸리지 않도록 건강 관리에 유의해야 한다."));
        d.optional.add(v.f("[오후 한때|늦은 오후에는] 곳에 따라 소나기가 내리겠다."));
        d.distractors.add(v.f("반면 {C2}의 낮 최고기온은 {t2}도에 [머물겠다|그치겠다]."));
        d.distractors.add(v.f("{C2:은} 바닷바람의 영향으로 비교적 선선하겠다."));
      }
      case 3 -> {
        v.put("t", between(5, 18)).put("t2", between(1, 4));
        d.required.add(
            v.any(
                "{D} 아침 {C}의 최저기온이 영하 {t}도까지 떨어지겠다.",
                "{D} {C}에 한파가 찾아와 아침 기온이 영하 {t}도에 머물 [전망이다|것으로 보인다].",
                "기상청은 {D} 아침 {C}의 기온이 영하 {t}도까지 내려갈 것으로 [예보했다|내다봤다]."));
        d.summary =
            v.any(
                "{D} {C} 아침 최저기온 영하 {t}도",
                "{D} {C}의 아침 기온이 영하 {t}도까지 내려가겠다.",
                "{C}, {D} 아침 영하 {t}도 한파 예보");
        opener(d, v.f("수도관 동파에 대비해 [보온에 신경 써야 한다|계량기를 헌 옷으로 감싸 두는 것이 좋다]."));
        d.optional.add(v.f("바람이 [강하게|세게] 불어 체감온도는 더 낮겠다."));
        d.optional.add(v.f("추위는 [주 후반부터|다음 주 초부터] 차차 풀리겠다."));
        d.optional.add(v.f("[출근길|등굣길] 옷차림을 단단히 하는 것이 좋겠다."));
        d.distractors.add(v.f("{C2}의 아침 기온은 영하 {t2}도로 [비교적 덜 춥겠다|평년과 비슷하겠다]."));
        d.distractors.add(v.f("한편 {C2}에는 [눈이 조금 날리겠다|구름이 많겠다]."));
      }
      default -> {
        v.put("n", between(36, 95)).put("n2", between(10, 30));
        d.required.add(
            v.any(
                "{D} {C}의 초미세먼지 농도가 세제곱미터당 {n}마이크로그램까지 올라 '나쁨' 수준을 보이겠다.",
                "{D} {C:은} 미세먼지 농도가 '나쁨' 수준으로 높아지겠고 한때 세제곱미터당 {n}마이크로그램에 이르겠다."));
        d.summary =
            v.any(
                "{D} {C}의 미세먼지 농도가 '나쁨' 수준을 보이겠다.",
                "{C}, {D} 초미세먼지 '나쁨' 최대 {n}마이크로그램",
                "{D} {C} 미세먼지 '나쁨', 외출 때 마스크 착용 필요");
        opener(d, v.f("외출할 때는 보건용 마스크를 [꼭|반드시] 착용하는 것이 좋다."));
        d.optional.add(v.f("[국외에서 들어온 미세먼지가|대기 정체로 미세먼지가] 쌓이면서 농도가 높아진 것으로 [분석된다|보인다]."));
        d.optional.add(v.f("[어린이와 노약자는|호흡기 질환자는] 실외 활동을 줄여야 한다."));
        d.optional.add(v.f("미세먼지는 [다음 날 오후|비가 내린 뒤] 점차 옅어지겠다."));
        d.distractors.add(v.f("한편 {C2}의 초미세먼지 농도는 {n2}마이크로그램으로 '보통' 수준을 보이겠다."));
        d.distractors.add(v.f("{C2:은} 바람이 불어 대기 상태가 [양호하겠다|비교적 깨끗하겠다]."));
      }
    }
    return d;
  }

  private Draft sports() {
    Draft d = new Draft("sports");
    String w = pick(Pools.TEAMS);
    String l = pickOther(Pools.TEAMS, w);
    String t3 = pickOther(Pools.TEAMS, w, l);
    String t4 = pickOther(Pools.TEAMS, w, l, t3);
    int league = rnd.nextInt(4);
    String[] leagueNames = {"프로야구", "프로축구", "프로농구", "프로배구"};
    int sw;
    int sl;
    int o1;
    int o2;
    switch (league) {
      case 0 -> {
        sw = between(2, 12);
        sl = between(0, sw - 1);
        o1 = between(2, 10);
        o2 = between(0, o1 - 1);
      }
      case 1 -> {
        sw = between(1, 4);
        sl = between(0, sw - 1);
        o1 = between(1, 3);
        o2 = between(0, o1 - 1);
      }
      case 2 -> {
        sw = between(72, 105);
        sl = sw - between(1, 18);
        o1 = between(72, 100);
        o2 = o1 - between(1, 15);
      }
      default -> {
        sw = 3;
        sl = between(0, 2);
        o1 = 3;
        o2 = between(0, 2);
      }
    }
    String setPrefix = league == 3 ? "세트 스코어 " : "";
    Vars v =
        vars()
            .put("W", w)
            .put("L", l)
            .put("T3", t3)
            .put("T4", t4)
            .put("lg", leagueNames[league])
            .put("P", person())
            .put("score", setPrefix + sw + "대 " + sl)
            .put("rscore", setPrefix + sl + "대 " + sw)
            .put("other", setPrefix + o1 + "대 " + o2)
            .put("day", pick("이날", "주말", "어제") )
            .put("n", between(2, 7))
            .put("k", between(2, 6))
            .put("crowd", num(between(3, 24) * 1000 + between(0, 9) * 100));
    d.key = w;
    String star =
        switch (league) {
          case 0 -> {
            v.put("hr", between(1, 3)).put("rbi", between(2, 6)).put("ip", between(5, 8));
            v.put("so", between(4, 11)).put("runs", sl == 0 ? "무실점" : sl + "실점");
            String hitter = "{W}의 {P:은} 홈런 {hr}개를 포함해 {rbi}타점을 올렸다.";
            // A pitcher who gave up many runs did not "hold" the other side.
            yield sl > 3
                ? v.f(hitter)
                : v.any(hitter, "{W} 선발 투수 {P:은} {ip}이닝 동안 삼진 {so}개를 잡으며 {runs}으로 막았다.");
          }
          case 1 -> {
            v.put("m", between(5, 90));
            yield v.any(
                "{W}의 {P:이} [전반|후반] {m}분 결승골을 터뜨렸다.",
                "{W} 공격수 {P:이} {m}분 [결승골을 넣으며|골망을 흔들며] 승리를 이끌었다.");
          }
          case 2 -> {
            v.put("pts", between(18, 38)).put("reb", between(3, 15));
            yield v.f("{W}의 {P:이} {pts}점 {reb}리바운드로 [활약했다|팀 승리를 이끌었다].");
          }
          default -> {
            v.put("pts", between(15, 35));
            yield v.f("{W}의 {P:이} 양 팀 최다인 {pts}점을 [올렸다|기록했다].");
          }
        };
    String streak = v.f("{W:은} 이날 승리로 {n}연승을 [달렸다|이어갔다].");
    d.required.add(
        v.any(
            "{W:이} {day} [홈|안방]에서 열린 {L:과}의 {lg} 경기에서 {score:으로} [이겼다|승리했다].",
            "{day} 열린 {lg} 경기에서 {W:이} {L:을} {score:으로} [꺾었다|물리쳤다].",
            "{L:이} {day} {lg} 경기에서 {W}에 {rscore:으로} [졌다|패했다].",
            "{lg} {W:이} {day} {L:과} 맞붙어 {score} 승리를 거뒀다."));
    switch (rnd.nextInt(4)) {
      case 0 -> d.summary = v.f("{W:이} {L:을} {score:으로} [꺾었다|이겼다].");
      case 1 -> d.summary = v.f("{lg} {W}, {L}에 {score} 승리");
      case 2 -> {
        d.summary = v.f("{W:이} {L:을} 꺾고 {n}연승을 달렸다.");
        d.required.add(streak);
      }
      default -> {
        d.summary = v.f("{P}의 활약으로 {W:이} {L:을} {score:으로} 이겼다.");
        d.required.add(star);
      }
    }
    if (!d.required.contains(star)) {
      opener(d, star);
    } else {
      d.openers.add(star);
    }
    if (!d.required.contains(streak)) {
      opener(d, streak);
    }
    d.optional.add(v.f("이날 경기장에는 {crowd}명의 관중이 [찾았다|몰렸다]."));
    opener(d, v.f("{L:은} {k}연패에 빠졌다."));
    d.optional.add(v.f("{L}의 감독은 경기 뒤 \"다음 경기에서 반드시 반등하겠다\"고 말했다."));
    d.distractors.add(v.f("같은 날 열린 다른 경기에서는 {T3:이} {T4:을} {other:으로} 이겼다."));
    d.distractors.add(v.f("{T3:은} 이번 시즌 [리그 선두를 달리고 있다|최하위에 머물러 있다]."));
    return d;
  }

  private Draft earnings() {
    Draft d = new Draft("earnings");
    String co = pick(Pools.COMPANIES);
    boolean up = chance(60);
    String pct = chance(50) ? "%" : "퍼센트";
    Vars v =
        vars()
            .put("Co", co)
            .put("Co2", pickOther(Pools.COMPANIES, co))
            .put("Q", pick("1분기", "2분기", "3분기", "4분기", "상반기"))
            .put("OP", eok(between(20, 4800)))
            .put("R", eok(between(1200, 58000)))
            .put("xp", between(3, 90) + pct)
            .put("yp", between(2, 40) + pct)
            .put("zp", between(1, 9) + pct)
            .put("inc", up ? "증가" : "감소")
            .put("incV", up ? pick("늘었다", "증가했다") : pick("줄었다", "감소했다"))
            .put(
                "reason",
                up
                    ? pick("주력 제품의 해외 판매가 늘어난", "원가 절감 노력이 효과를 본", "신제품 판매가 호조를 보인")
                    : pick("원자재 가격이 크게 오른", "주요 시장의 수요가 줄어든", "환율 변동으로 비용이 늘어난"));
    d.key = co;
    d.required.add(
        v.any(
            "{Co:은} 올해 {Q} 영업이익이 {OP}으로 지난해 같은 기간보다 {xp} {inc}했다고 [밝혔다|발표했다|공시했다].",
            "{Co}의 {Q} 영업이익은 {OP}으로 1년 전보다 {xp} {incV}.",
            "{Co:이} 올해 {Q} 영업이익 {OP}을 기록했다. 이는 전년 같은 기간보다 {xp} {inc}한 수치다."));
    d.summary =
        v.any(
            "{Co}의 {Q} 영업이익이 {OP}으로 {xp} {inc}했다.",
            "{Co}, {Q} 영업이익 {OP}… 전년보다 {xp} {inc}",
            "{Co}의 {Q} 영업이익이 전년보다 {xp} {incV}.");
    d.optional.add(v.f("같은 기간 매출은 {R}으로 [집계됐다|나타났다]."));
    d.optional.add(v.f("회사 측은 {reason} 영향이라고 설명했다."));
    opener(d, v.f("{Co:은} [하반기에|내년에] [신규 투자를|연구개발 투자를|해외 생산을] 늘릴 계획이다."));
    opener(d, v.f("[증권가에서는|시장에서는] 다음 분기 실적에 대한 관심이 커지고 있다."));
    d.distractors.add(v.f("같은 업종의 {Co2:은} 이번 분기 영업이익이 {yp} 늘었다."));
    d.distractors.add(v.f("한편 이날 주식시장에서 {Co2} 주가는 {zp} [올랐다|내렸다]."));
    return d;
  }

  private Draft traffic() {
    Draft d = new Draft("traffic");
    int r = rnd.nextInt(Pools.ROADS.length);
    String[] road = Pools.ROADS[r];
    String[] road2 = Pools.ROADS[(r + 1 + rnd.nextInt(Pools.ROADS.length - 1)) % Pools.ROADS.length];
    boolean toFirst = chance(50);
    String a = pick(Pools.INTERCHANGES);
    String cause = pick(Pools.TRAFFIC_CAUSES);
    boolean accident = cause.endsWith("사고") || cause.endsWith("고장");
    Vars v =
        vars()
            .put("road", road[0])
            .put("dir", (toFirst ? road[1] : road[2]) + " 방향")
            .put("dir2", (toFirst ? road[2] : road[1]) + " 방향")
            .put("road2", road2[0])
            .put("a", a)
            .put("b", pickOther(Pools.INTERCHANGES, a))
            .put("c2", pick(Pools.INTERCHANGES))
            .put("km", between(2, 25))
            .put("cause", cause)
            .put("time", pick("오전", "오후") + " " + between(1, 11) + "시 현재")
            .put("h2", between(2, 9))
            .put("n", between(1, 4))
            .put("lanes", between(1, 2));
    d.key = road[0];
    int lead = rnd.nextInt(3);
    switch (lead) {
      case 0 -> {
        d.required.add(
            v.f(
                "{time} {road} {dir} {a}나들목에서 {b}나들목까지 {km}킬로미터 구간에서 차량들이 [거북이걸음을 하고 있다|정체를 빚고 있다|제 속도를 내지 못하고 있다]."));
        d.required.add(v.f("{a}나들목 부근에서 일어난 {cause:이} [정체의 원인이다|정체를 부른 것으로 파악됐다]."));
      }
      case 1 ->
          d.required.add(
              v.f("{road} {dir} {a}~{b} 구간 {km}킬로미터가 {cause:으로} [막히고 있다|정체되고 있다]."));
      default ->
          d.required.add(
              v.f(
                  "{time} {road} {dir} {a}나들목 부근에서 {cause:이} 발생해 {b}나들목까지 {km}킬로미터 구간이 [막혀 있다|밀려 있다]."));
    }
    String[] summaries = {
      "{road} {dir} {a}~{b} 구간 {km}킬로미터 정체",
      "{cause:으로} {road} {dir} {km}킬로미터 구간이 막히고 있다.",
      "{road} {dir} {a}나들목 부근 {cause:으로} 정체"
    };
    // Only leads that say "{a}나들목 부근" get the third phrasing.
    d.summary = v.f(summaries[rnd.nextInt(lead == 1 ? 2 : 3)]);
    if (accident) {
      d.optional.add(
          chance(50)
              ? v.f("이 사고로 운전자 {n}명이 가벼운 부상을 입었다.")
              : v.f("다행히 인명 피해는 [없었다|없는 것으로 전해졌다]."));
      d.optional.add(v.f("경찰은 사고 차량을 갓길로 옮기는 작업을 하고 있다."));
    } else {
      d.optional.add(v.f("공사 구간에서는 차로 {lanes}개가 통제되고 있다."));
    }
    d.optional.add(v.f("도로공사는 [오후|저녁] {h2}시쯤 정체가 풀릴 것으로 내다봤다."));
    opener(d, v.f("[경찰은|교통 당국은] 우회도로를 이용해 달라고 당부했다."));
    d.distractors.add(v.f("반대 방향인 {dir2:은} 비교적 원활한 흐름을 보이고 있다."));
    d.distractors.add(v.f("{road2}도 {c2}나들목 부근에서 [일부|짧은] 정체가 나타나고 있다."));
    return d;
  }

  private Draft announcement() {
    Draft d = new Draft("announcement");
    String city = pick(Pools.CITIES);
    String metro = pick(Pools.METRO_CITIES);
    String gu = pick(Pools.DISTRICTS);
    Vars v =
        vars()
            .put("C", city)
            .put("C2", pickOther(Pools.CITIES, city))
            .put("gu", gu)
            .put("gu2", pickOther(Pools.DISTRICTS, gu))
            .put("M", metro)
            .put("M2", pickOther(Pools.METRO_CITIES, metro))
            .put("m", between(1, 12))
            .put("d", between(1, 28));
    switch (rnd.nextInt(4)) {
      case 0 -> {
        String dong = pick(Pools.NEIGHBOURHOODS);
        v.put("dong", dong).put("dong2", pickOther(Pools.NEIGHBOURHOODS, dong));
        v.put("h", between(6, 11)).put("dur", between(4, 12));
        d.key = dong;
        d.required.add(
            v.any(
                "{M} {gu:은} 노후 상수도관 교체 공사로 {m}월 {d}일 오전 {h}시부터 {dur}시간 동안 {dong} 일대에 물 공급을 중단한다고 밝혔다.",
                "{m}월 {d}일 {M} {gu} {dong} 일대에 상수도 공사로 {dur}시간 동안 단수가 [실시된다|이뤄진다]."));
        d.summary =
            v.any(
                "{M} {gu} {dong} 일대 {m}월 {d}일 {dur}시간 단수",
                "{M} {gu:은} {m}월 {d}일 {dong} 일대에 단수를 실시한다.");
        d.optional.add(v.f("해당 지역 주민들은 미리 생활용수를 받아 두는 것이 좋다."));
        d.optional.add(v.f("공사가 끝난 뒤에는 한동안 [탁한 물이 나올 수 있다|수압이 낮을 수 있다]."));
        d.optional.add(v.f("자세한 내용은 구청 누리집에서 확인할 수 있다."));
        d.distractors.add(v.f("구는 지난해에도 {dong2} 일대 상수도관을 교체한 바 있다."));
        d.distractors.add(v.f("{M2} {gu2:은} 다음 달 비슷한 공사를 계획하고 있다."));
      }
      case 1 -> {
        String lib = city + " " + pick("중앙", "시립", "해맑은", "푸른솔", "새싹", "글빛") + "도서관";
        v.put("lib", lib).put("n", between(3, 30));
        v.put("why", pick("시설 보수", "냉난방 설비 교체", "전산 시스템 교체", "장서 점검"));
        d.key = lib;
        d.required.add(
            v.any(
                "{lib:이} {why:으로} {m}월 {d}일부터 {n}일간 문을 닫는다.",
                "{lib:은} {why:을} 위해 {m}월 {d}일부터 {n}일 동안 휴관한다고 [안내했다|밝혔다]."));
        d.summary =
            v.any(
                "{lib}, {m}월 {d}일부터 {n}일간 휴관",
                "{lib:이} {why:으로} {n}일간 휴관한다.");
        d.optional.add(v.f("휴관 기간에는 무인 반납기만 운영된다."));
        d.optional.add(v.f("대출 중인 도서의 반납 기한은 자동으로 연장된다."));
        d.optional.add(v.f("전자책 서비스는 [정상적으로|평소처럼] 이용할 수 있다."));
        d.distractors.add(v.f("{C2}의 시립도서관은 같은 기간 [야간 개관을 늘린다|독서 강좌를 연다]."));
        d.distractors.add(v.f("{C2} 어린이도서관은 이달부터 주말 운영 시간을 [늘렸다|한 시간 연장했다]."));
      }
      case 2 -> {
        v.put("who", pick("청년", "소상공인", "65세 이상 어르신", "신혼부부", "대학생"));
        v.put("what", pick("교통비", "난방비", "월세", "문화생활비"));
        v.put("amt", pick("10", "20", "30", "50", "100")).put("cnt", num(between(5, 90) * 100));
        d.key = city;
        d.required.add(v.f("{C}시는 {m}월 {d}일부터 {who:을} 대상으로 {what} 지원 신청을 받는다."));
        d.required.add(v.f("지원 금액은 1인당 최대 {amt}만 원이다."));
        d.summary =
            v.any(
                "{C}시, {who}에 {what} 최대 {amt}만 원 지원",
                "{C}시는 {m}월 {d}일부터 {who} {what} 지원 신청을 받는다.");
        d.optional.add(v.f("신청은 주민센터를 방문하거나 [온라인으로|시청 누리집에서] 할 수 있다."));
        d.optional.add(v.f("올해 지원 대상은 모두 {cnt}명이다."));
        d.optional.add(v.f("필요한 서류는 시청 누리집에서 확인하면 된다."));
        d.distractors.add(v.f("이와 별도로 {C2}시는 다음 달부터 [어르신 일자리 사업을|청년 창업 지원 사업을] 시작한다."));
        d.distractors.add(v.f("{C2}시도 지난해 비슷한 지원 사업을 벌인 바 있다."));
      }
      default -> {
        String street = pick("중앙로", "시청로", "해안로", "번영로", "문화로", "강변로");
        v.put("st", street).put("ev", pick("마라톤 대회", "자전거 대회", "거리 축제", "시민 퍼레이드"));
        v.put("h1", between(6, 10)).put("h2", between(1, 6));
        d.key = street;
        d.required.add(
            v.any(
                "{C}시는 {ev} 개최에 따라 {m}월 {d}일 오전 {h1}시부터 오후 {h2}시까지 {st} 일대의 차량 통행을 통제한다.",
                "{m}월 {d}일 {ev:이} 열리는 {C} {st} 일대는 오전 {h1}시부터 오후 {h2}시까지 차량이 다닐 수 없다."));
        d.summary =
            v.any(
                "{m}월 {d}일 {C} {st} 일대 차량 통제",
                "{C}시가 {ev:으로} {m}월 {d}일 {st:을} 통제한다.");
        d.optional.add(v.f("통제 구간을 지나는 시내버스는 임시로 우회 운행한다."));
        d.optional.add(v.f("시는 [대중교통을 이용해 달라고|행사 당일 차량 이용을 자제해 달라고] 당부했다."));
        v.put("staff", between(30, 200));
        d.optional.add(v.f("[교통경찰과 자원봉사자|안내 요원] {staff}명이 주요 교차로에 배치된다."));
        d.distractors.add(v.f("{C2}시도 같은 달 [비슷한 행사를|걷기 대회를] 연다."));
      }
    }
    return d;
  }

  private Draft science() {
    Draft d = new Draft("science");
    String[] f = Pools.FINDINGS[rnd.nextInt(Pools.FINDINGS.length)];
    String univ = pick(Pools.UNIVERSITIES);
    String prof = person();
    Vars v =
        vars()
            .put("U", univ)
            .put("U2", pickOther(Pools.UNIVERSITIES, univ))
            .put("P", prof)
            .put("P2", person())
            .put("dept", f[0])
            .put("x", between(Integer.parseInt(f[3]), Integer.parseInt(f[4])))
            .put("yrs", between(2, 7));
    v.put("finding", v.f(f[1])).put("short", v.f(f[2]));
    d.required.add(
        v.any(
            "{U} {dept} {P} 교수 연구팀이 {finding}.",
            "{U:은} {dept} {P} 교수 연구팀이 {finding}고 밝혔다.",
            "{P} {U} {dept} 교수가 이끄는 연구팀이 {finding}."));
    switch (rnd.nextInt(3)) {
      case 0 -> {
        d.summary = v.f("{U} {P} 교수팀, {short}");
        d.key = univ;
      }
      case 1 -> {
        d.summary = v.f("{U} 연구팀이 {finding}.");
        d.key = univ;
      }
      default -> {
        d.summary = v.f("{P} 교수 연구팀이 {finding}.");
        d.key = prof;
      }
    }
    d.optional.add(v.f("연구 결과는 국제 학술지 [최신호|온라인판]에 실렸다."));
    d.optional.add(v.f("연구팀은 앞으로 {yrs}년 동안 [후속 연구를|추가 실험을] 이어 갈 계획이다."));
    d.optional.add(v.f("{P} 교수는 \"[이번 성과를 바탕으로 연구를 더 넓혀 가겠다|후속 연구로 결과를 더 다듬겠다]\"고 말했다."));
    d.optional.add(v.f("이번 연구는 [정부의|한 공공 연구재단의] 지원을 받아 수행됐다."));
    d.distractors.add(v.f("같은 대학의 {P2} 교수 연구팀은 지난해 비슷한 주제의 연구로 주목을 받은 바 있다."));
    d.distractors.add(v.f("{U2} 연구팀도 관련 연구를 진행하고 있다."));
    return d;
  }

  private Draft culture() {
    Draft d = new Draft("culture");
    String city = pick(Pools.CITIES);
    String event = pick(Pools.EVENTS);
    Vars v =
        vars()
            .put("C", city)
            .put("C2", pickOther(Pools.CITIES, city))
            .put("E", event)
            .put("E2", pickOther(Pools.EVENTS, event))
            .put("V", pick(Pools.VENUES))
            .put("m", between(3, 11))
            .put("d", between(1, 28))
            .put("n", between(2, 10))
            .put("k", between(12, 80))
            .put("vis", between(2, 60))
            .put("vis2", between(2, 60))
            .put("fee", between(3, 15))
            .put("h", between(5, 8));
    d.key = event;
    d.required.add(
        v.any(
            "{C} {V}에서 {m}월 {d}일부터 {n}일 동안 {E:이} 열린다.",
            "{m}월 {d}일 {C} {V}에서 {E:이} 막을 올려 {n}일간 이어진다.",
            "{C}시는 {m}월 {d}일부터 {n}일간 {V}에서 {E:을} 연다고 [밝혔다|발표했다]."));
    d.summary =
        v.any(
            "{C} {E}, {m}월 {d}일부터 {n}일간 개최",
            "{m}월 {d}일부터 {C} {V}에서 {E:이} 열린다.",
            "{C}에서 {m}월 {d}일 {E:이} 막을 올린다.");
    d.optional.add(v.f("행사 기간에는 공연과 체험 프로그램 {k}개가 마련된다."));
    d.optional.add(v.f("주최 측은 관람객 {vis}만 명이 찾을 것으로 내다봤다."));
    d.optional.add(v.f("입장료는 [무료이며 일부 체험은 사전 예약이 필요하다|성인 {fee}천 원이고 어린이는 무료다]."));
    d.optional.add(v.f("개막식은 첫날 오후 {h}시에 열린다."));
    d.optional.add(v.f("행사장 주변에는 임시 주차장이 운영된다."));
    d.distractors.add(v.f("지난해 행사에는 {vis2}만 명이 다녀갔다."));
    d.distractors.add(v.f("한편 {C2}에서는 같은 기간 {E2:이} 열린다."));
    return d;
  }

  private Draft realEstate() {
    Draft d = new Draft("real-estate");
    String region = pick(Pools.REGIONS);
    boolean up = chance(55);
    Vars v =
        vars()
            .put("R", region)
            .put("R2", pickOther(Pools.REGIONS, region))
            .put("period", between(1, 12) + "월 " + pick("첫째", "둘째", "셋째", "넷째") + " 주")
            .put("x", String.format(Locale.ROOT, "0.%02d", between(1, 45)))
            .put("y", String.format(Locale.ROOT, "0.%02d", between(1, 30)))
            .put("z", String.format(Locale.ROOT, "0.%02d", between(1, 30)))
            .put("k", between(2, 12))
            .put("cnt", num(between(80, 2400)))
            .put("upV", up ? "올랐다" : "내렸다")
            .put("upN", up ? "상승" : "하락")
            .put("upAdv", up ? "오르며" : "내리며");
    d.key = region;
    switch (rnd.nextInt(3)) {
      case 0 -> {
        d.required.add(v.f("{period} {R} 아파트 매매가격이 [지난주보다|한 주 전보다] {x}% {upV}."));
        d.summary = v.any("{R} 아파트 매매가격 {x}% {upN}", "{period} {R} 아파트값이 {x}% {upV}.");
      }
      case 1 -> {
        d.required.add(v.f("{R}의 아파트 매매가격은 {period}에 {x}% {upN}했다."));
        d.summary = v.any("{R} 아파트 매매가격 {x}% {upN}", "{R}의 아파트 매매가격이 {x}% {upN}했다.");
      }
      default -> {
        d.required.add(v.f("{period} {R} 아파트값이 {x}% {upAdv} {k}주 연속 {upN}세를 이어갔다."));
        d.summary = v.any("{R} 아파트값이 {k}주 연속 {upN}세를 이어갔다.", "{period} {R} 아파트값 {x}% {upN}");
      }
    }
    d.optional.add(v.f("같은 기간 전세가격은 {y}% [올랐다|내렸다]."));
    d.optional.add(v.f("이 지역의 지난달 아파트 거래량은 {cnt}건으로 집계됐다."));
    opener(d, v.f("업계에서는 금리 흐름을 [가장 큰 변수로|주요 변수로] 꼽고 있다."));
    opener(d, v.f("[신축 단지를|역세권 단지를] 중심으로 매수 문의가 [늘었다|줄었다]는 분석이 나온다."));
    d.distractors.add(v.f("같은 기간 {R2}의 아파트값은 {z}% [올랐다|내렸다]."));
    d.distractors.add(v.f("전국 아파트값은 [보합세를 보였다|0.01% 오르는 데 그쳤다]."));
    return d;
  }

  private Draft health() {
    Draft d = new Draft("health");
    String city = pick(Pools.CITIES);
    int di = rnd.nextInt(Pools.DISEASES.length);
    String[] disease = Pools.DISEASES[di];
    String[] disease2 = Pools.DISEASES[(di + 1 + rnd.nextInt(Pools.DISEASES.length - 1)) % Pools.DISEASES.length];
    Vars v =
        vars()
            .put("C", city)
            .put("C2", pickOther(Pools.CITIES, city))
            .put("dz", disease[0])
            .put("dz2", disease2[0])
            .put("advice", disease[1])
            .put("grp", pick("영유아", "어르신", "초등학생", "야외 근로자"))
            .put("n", num(between(30, 900)))
            .put("x", between(5, 80));
    d.key = city;
    d.required.add(
        v.any(
            "{C}에서 지난주 {dz} 환자가 {n}명 발생해 [전주보다|한 주 전보다] {x}% 늘었다.",
            "{C} 보건당국에 따르면 최근 일주일 사이 {dz} 환자가 {n}명으로 집계됐다. 이는 전주보다 {x}% 증가한 수치다.",
            "{dz} 환자가 {C:을} 중심으로 빠르게 늘고 있다. 지난주 환자는 {n}명으로 한 주 전보다 {x}% 많았다."));
    String advice = v.f("보건당국은 {advice:을} 당부했다.");
    switch (rnd.nextInt(3)) {
      case 0 -> d.summary = v.f("{C} {dz} 환자 {n}명, 전주보다 {x}% 증가");
      case 1 -> d.summary = v.f("{C}에서 {dz} 환자가 {n}명 발생해 주의가 필요하다.");
      default -> {
        d.summary = v.f("{C} 보건당국, {dz} 예방 수칙 준수 당부");
        d.required.add(advice);
      }
    }
    if (!d.required.contains(advice)) {
      opener(d, advice);
    } else {
      d.openers.add(advice);
    }
    d.optional.add(v.f("특히 {grp:은} 증상이 나타나면 [바로|서둘러] 병원을 찾아야 한다."));
    d.optional.add(v.f("환자의 절반 이상은 {grp}인 것으로 [나타났다|조사됐다]."));
    d.optional.add(v.f("보건소는 다음 달 말까지 [집중 관리 기간을 운영한다|비상 대응 체계를 유지한다]."));
    d.distractors.add(v.f("한편 {C2}의 {dz2} 환자 수는 지난주와 비슷한 수준이었다."));
    d.distractors.add(v.f("다른 지역의 {dz} 환자 수는 [아직 예년 수준에 머물러 있다|소폭 늘었다]."));
    return d;
  }

  private Draft fire() {
    Draft d = new Draft("fire");
    String city = pick(Pools.METRO_CITIES);
    String gu = pick(Pools.DISTRICTS);
    String[] place = Pools.PLACES[rnd.nextInt(Pools.PLACES.length)];
    Vars v =
        vars()
            .put("C", city)
            .put("C2", pickOther(Pools.CITIES, city))
            .put("gu", gu)
            .put("place", place[0])
            .put("who", place[1])
            .put(
                "time",
                pick("어제", "지난 " + between(1, 28) + "일", "이날")
                    + " "
                    + pick("오전", "오후")
                    + " "
                    + between(1, 11)
                    + "시 "
                    + (5 * between(1, 11))
                    + "분쯤")
            .put("n", between(1, 6))
            .put("e", between(10, 120))
            .put("t", between(15, 90))
            .put("fl", between(2, 15))
            .put("cause", pick(Pools.FIRE_CAUSES))
            .put("dmg", num(between(5, 99) * 100))
            .put("trucks", between(8, 40))
            .put("crew", between(30, 150));
    d.key = city + " " + gu;
    String injured = v.f("이 불로 {n}명이 [연기를 마셔 병원으로 옮겨졌다|가벼운 화상을 입었다].");
    String evacuated = v.f("{who} {e}명이 [긴급히 |]대피했다.");
    String put = v.f("불은 [건물 내부를|{fl}층 일부를] 태우고 {t}분 만에 꺼졌다.");
    switch (rnd.nextInt(3)) {
      case 0 -> {
        d.required.add(v.f("{time} {C} {gu}의 한 {place}에서 불이 나 {n}명이 [다쳤다|부상을 입었다]."));
        d.summary = v.any("{C} {gu} {place}에서 불이 나 {n}명이 다쳤다.", "{C} {gu} {place} 화재로 {n}명 부상");
        d.optional.add(evacuated);
        d.optional.add(put);
      }
      case 1 -> {
        d.required.add(v.f("{time} {C} {gu} {place}에서 화재가 발생해 {who} {e}명이 대피했다."));
        d.summary =
            v.any("{C} {gu} {place} 화재로 {who} {e}명 대피", "{C} {gu} {place}에서 불이 나 {e}명이 대피했다.");
        d.optional.add(chance(60) ? injured : v.f("[다행히 |]인명 피해는 없었다."));
        d.optional.add(put);
      }
      default -> {
        d.required.add(v.f("{time} {C} {gu}의 {place}에서 난 불이 {t}분 만에 꺼졌다."));
        d.summary =
            v.any("{C} {gu} {place} 화재, {t}분 만에 진화", "{C} {gu} {place}에서 난 불이 {t}분 만에 꺼졌다.");
        d.optional.add(chance(60) ? injured : v.f("[다행히 |]인명 피해는 없었다."));
        d.optional.add(evacuated);
      }
    }
    d.optional.add(v.f("소방 당국은 {cause:으로} 불이 난 것으로 보고 정확한 원인을 조사하고 있다."));
    d.optional.add(v.f("재산 피해는 소방서 추산 {dmg}만 원이다."));
    d.optional.add(v.f("소방차 {trucks}대와 인력 {crew}명이 [투입됐다|현장에 출동했다]."));
    d.distractors.add(v.f("같은 날 {C2}에서도 [주택|비닐하우스] 화재가 있었으나 인명 피해는 없었다."));
    d.distractors.add(v.f("소방청은 [건조한 날씨가 이어지고 있어|겨울철을 맞아] 화재 예방에 힘써 달라고 당부했다."));
    return d;
  }

  private Draft stocks() {
    Draft d = new Draft("stocks");
    boolean kospi = chance(60);
    boolean up = chance(50);
    double level = kospi ? between(230000, 330000) / 100.0 : between(65000, 95000) / 100.0;
    double x = between(5, 350) / 100.0;
    double pts = level * x / (100 + (up ? x : -x));
    double level2 = kospi ? between(65000, 95000) / 100.0 : between(230000, 330000) / 100.0;
    String levelText = String.format(Locale.ROOT, "%,.2f", level);
    Vars v =
        vars()
            .put("idx", kospi ? "코스피" : "코스닥")
            .put("idx2", kospi ? "코스닥" : "코스피")
            .put("dd", between(1, 28))
            .put("level", levelText)
            .put("l2", String.format(Locale.ROOT, "%,.2f", level2))
            .put("x", String.format(Locale.ROOT, "%.2f", x))
            .put("y", String.format(Locale.ROOT, "%.2f", between(5, 300) / 100.0))
            .put("pts", String.format(Locale.ROOT, "%.2f", pts))
            .put("upAdj", up ? "오른" : "내린")
            .put("upV", up ? "올랐다" : "내렸다")
            .put("upN", up ? "상승" : "하락")
            .put("a", num(between(100, 9000)))
            .put("fx", String.format(Locale.ROOT, "%,.1f", between(12500, 14500) / 10.0))
            .put(
                "driver",
                up
                    ? pick("반도체주 강세", "외국인 매수세", "미국 증시 상승")
                    : pick("반도체주 약세", "외국인 매도세", "미국 증시 하락"))
            .put("drive", up ? "끌어올렸다" : "끌어내렸다");
    d.key = levelText;
    d.required.add(
        v.any(
            "{dd}일 {idx:은} 전 거래일보다 {pts}포인트({x}%) {upAdj} {level}에 [장을 마쳤다|거래를 마감했다].",
            "{idx:이} {dd}일 {x}% {upN}한 {level:으로} 거래를 마감했다.",
            "{dd}일 {idx} 지수는 {level}에 마감하며 전날보다 {x}% {upV}."));
    d.summary =
        v.any(
            "{idx}, {x}% {upAdj} {level} 마감",
            "{dd}일 {idx:은} {level:으로} 장을 마쳤다.",
            "{idx:이} {x}% {upN}해 {level}에 마감했다.");
    d.optional.add(v.f("[외국인은|기관은] 이날 {a}억 원어치를 [순매수했다|순매도했다]."));
    opener(d, v.f("{driver:이} 지수를 {drive}."));
    d.optional.add(v.f("원·달러 환율은 {fx}원에 거래를 마쳤다."));
    d.distractors.add(v.f("같은 날 {idx2:은} {y}% [오른|내린] {l2}에 마감했다."));
    d.distractors.add(v.f("아시아 주요 증시도 [대체로 강세를|혼조세를] 보였다."));
    return d;
  }
}
