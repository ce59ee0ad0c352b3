package ai.peft4j.examples.summarization.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The eleven topics of {@link SyntheticReportGenerator}: for each, the entities and numbers it
 * draws and which of its variants it writes; the sentences themselves come from
 * {@code synthetic/templates.json} and the entities from {@code synthetic/pools.json}
 * ({@link ReportText}). Every draw comes from the generator's seeded {@link Random}, in a fixed
 * order, so the same seed writes the same drafts.
 *
 * <pre>{@code
 * ReportTopics topics = new ReportTopics(new Random(42));
 * ReportTopics.Draft d = topics.draft(); // units sorted by role, and the summary
 * }</pre>
 */
final class ReportTopics {

  /** Sentences for one document, sorted by role. */
  static final class Draft {
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

  private static final List<String> WEATHER = List.of("rain", "snow", "heat", "cold", "dust");
  private static final List<String> LEAGUES = List.of("baseball", "football", "basketball", "volleyball");
  private static final List<String> NOTICES = List.of("water", "library", "grant", "closure");

  private final Random rnd;
  private final ReportText text = ReportText.bundled();
  private final List<Supplier<Draft>> topics =
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

  ReportTopics(Random rnd) {
    this.rnd = rnd;
  }

  /** A draft of a topic drawn at random. */
  Draft draft() {
    return topics.get(rnd.nextInt(topics.size())).get();
  }

  // ---- sections of templates.json -----------------------------------------------------------

  /** A unit: one template, filled; or a list of templates, one drawn and filled. */
  private static String unit(Vars v, JsonElement e) {
    return e.isJsonArray() ? v.any(ReportText.strings(e)) : v.f(e.getAsString());
  }

  private void required(Draft d, Vars v, String section) {
    for (JsonElement u : text.at(section + ".required").getAsJsonArray()) {
      d.required.add(unit(v, u));
    }
  }

  private void summary(Draft d, Vars v, String section) {
    d.summary = unit(v, text.at(section + ".summary"));
  }

  /**
   * Draws one of the section's {@code summaries}. One that {@code requires} a unit (from
   * {@code units}) makes it required too; one with a {@code key} names the key entity's variable.
   */
  private void drawSummary(Draft d, Vars v, String section, Map<String, String> units) {
    JsonArray all = text.at(section + ".summaries").getAsJsonArray();
    JsonElement e = all.get(rnd.nextInt(all.size()));
    if (!e.isJsonObject()) {
      d.summary = v.f(e.getAsString());
      return;
    }
    JsonObject o = e.getAsJsonObject();
    d.summary = v.f(o.get("summary").getAsString());
    if (o.has("requires")) {
      String unit = units.get(o.get("requires").getAsString());
      if (unit == null) {
        throw new IllegalStateException(section + ": no unit " + o.get("requires"));
      }
      d.required.add(unit);
    }
    if (o.has("key")) {
      d.key = v.get(o.get("key").getAsString());
    }
  }

  private void more(Draft d, Vars v, String section) {
    for (JsonElement u : text.at(section + ".more").getAsJsonArray()) {
      if (u.isJsonObject()) {
        opener(d, v.f(u.getAsJsonObject().get("opener").getAsString()));
      } else {
        d.optional.add(v.f(u.getAsString()));
      }
    }
  }

  private void distractors(Draft d, Vars v, String section) {
    for (JsonElement u : text.at(section + ".distractors").getAsJsonArray()) {
      d.distractors.add(v.f(u.getAsString()));
    }
  }

  /** Required units, summary and further units, in this order. */
  private void fill(Draft d, Vars v, String section) {
    required(d, v, section);
    summary(d, v, section);
    more(d, v, section);
  }

  /** Draws an index into the list at {@code path} (such as a section's {@code leads}). */
  private int draw(String path) {
    return rnd.nextInt(text.at(path).getAsJsonArray().size());
  }

  /** Fills a phrase that draws nothing (a number format such as {@code "{a}대 {b}"}). */
  private String format(String phrase, Object... keysAndValues) {
    if (phrase.indexOf('[') >= 0) {
      throw new IllegalStateException("a phrase must not hold [..] choices: " + phrase);
    }
    Vars v = vars();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      v.put((String) keysAndValues[i], String.valueOf(keysAndValues[i + 1]));
    }
    return v.f(phrase);
  }

  // ---- random helpers -----------------------------------------------------------------------

  private String pick(List<String> options) {
    return options.get(rnd.nextInt(options.size()));
  }

  private JsonObject pickRow(List<JsonObject> rows) {
    return rows.get(rnd.nextInt(rows.size()));
  }

  private String pickOther(List<String> options, String... not) {
    while (true) {
      String o = pick(options);
      if (!List.of(not).contains(o)) {
        return o;
      }
    }
  }

  /** An index other than {@code i} among {@code n}. */
  private int otherIndex(int i, int n) {
    return (i + 1 + rnd.nextInt(n - 1)) % n;
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

  private static String hundredths(int n) {
    return String.format(Locale.ROOT, "0.%02d", n);
  }

  private static String str(JsonObject row, String field) {
    return row.get(field).getAsString();
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
    return pick(text.pool("surnames")) + pick(text.pool("given-names"));
  }

  // ---- topics: what is drawn, and which sections are written ---------------------------------

  private Draft weather() {
    Draft d = new Draft("weather");
    List<String> cities = text.pool("cities");
    String city = pick(cities);
    Vars v = vars().put("C", city).put("C2", pickOther(cities, city))
        .put("D", pick(text.list("weather.days")));
    d.key = city;
    int kind = rnd.nextInt(WEATHER.size());
    switch (kind) {
      case 0 -> { // rain, millimetres
        int lo = 5 * between(1, 8);
        v.put("lo", lo).put("hi", lo + 10 * between(1, 6)).put("t", between(14, 27));
      }
      case 1 -> { // snow, centimetres
        int lo = between(1, 5);
        v.put("lo", lo).put("hi", lo + between(2, 15)).put("t", between(3, 15));
      }
      case 2 -> v.put("t", between(33, 38)).put("t2", between(27, 32)); // heat
      case 3 -> v.put("t", between(5, 18)).put("t2", between(1, 4)); // cold, degrees below zero
      default -> v.put("n", between(36, 95)).put("n2", between(10, 30)); // fine dust
    }
    String section = "weather." + WEATHER.get(kind);
    fill(d, v, section);
    if (kind <= 1) { // last week's rain or snow elsewhere
      v.put("x", kind == 0 ? between(5, 60) : between(1, 9));
    }
    distractors(d, v, section);
    return d;
  }

  private Draft sports() {
    Draft d = new Draft("sports");
    List<String> teams = text.pool("teams");
    String w = pick(teams);
    String l = pickOther(teams, w);
    String t3 = pickOther(teams, w, l);
    String t4 = pickOther(teams, w, l, t3);
    int league = rnd.nextInt(LEAGUES.size());
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
      default -> { // sets
        sw = 3;
        sl = between(0, 2);
        o1 = 3;
        o2 = between(0, 2);
      }
    }
    String lg = "sports." + LEAGUES.get(league);
    String score = text.one(lg + ".score");
    Vars v = vars().put("W", w).put("L", l).put("T3", t3).put("T4", t4).put("lg", text.one(lg + ".name"))
        .put("P", person()).put("score", format(score, "a", sw, "b", sl))
        .put("rscore", format(score, "a", sl, "b", sw)).put("other", format(score, "a", o1, "b", o2))
        .put("day", pick(text.list("sports.days"))).put("n", between(2, 7)).put("k", between(2, 6))
        .put("crowd", num(between(3, 24) * 1000 + between(0, 9) * 100));
    d.key = w;
    JsonElement stars = text.at(lg + ".star");
    String star =
        switch (league) {
          case 0 -> {
            v.put("hr", between(1, 3)).put("rbi", between(2, 6)).put("ip", between(5, 8));
            v.put("so", between(4, 11))
                .put("runs", sl == 0 ? text.one(lg + ".shutout") : format(text.one(lg + ".runs"), "n", sl));
            // A pitcher who gave up many runs did not "hold" the other side: the hitter only.
            yield sl > 3 ? v.f(stars.getAsJsonArray().get(0).getAsString()) : unit(v, stars);
          }
          case 1 -> {
            v.put("m", between(5, 90));
            yield unit(v, stars);
          }
          case 2 -> {
            v.put("pts", between(18, 38)).put("reb", between(3, 15));
            yield unit(v, stars);
          }
          default -> {
            v.put("pts", between(15, 35));
            yield unit(v, stars);
          }
        };
    String streak = v.f(text.one("sports.streak"));
    required(d, v, "sports");
    drawSummary(d, v, "sports", Map.of("streak", streak, "star", star));
    if (!d.required.contains(star)) {
      opener(d, star);
    } else {
      d.openers.add(star);
    }
    if (!d.required.contains(streak)) {
      opener(d, streak);
    }
    more(d, v, "sports");
    distractors(d, v, "sports");
    return d;
  }

  private Draft earnings() {
    Draft d = new Draft("earnings");
    List<String> companies = text.pool("companies");
    String co = pick(companies);
    boolean up = chance(60);
    String pct = text.list("earnings.percent").get(chance(50) ? 0 : 1);
    String trend = up ? "earnings.up" : "earnings.down";
    Vars v = vars().put("Co", co).put("Co2", pickOther(companies, co))
        .put("Q", pick(text.list("earnings.quarters"))).put("OP", eok(between(20, 4800)))
        .put("R", eok(between(1200, 58000))).put("xp", between(3, 90) + pct).put("yp", between(2, 40) + pct)
        .put("zp", between(1, 9) + pct).put("inc", text.one(trend + ".noun"))
        .put("incV", pick(text.list(trend + ".verbs"))).put("reason", pick(text.list(trend + ".reasons")));
    d.key = co;
    fill(d, v, "earnings");
    distractors(d, v, "earnings");
    return d;
  }

  private Draft traffic() {
    Draft d = new Draft("traffic");
    List<JsonObject> roads = text.rows("roads");
    int r = rnd.nextInt(roads.size());
    JsonObject road = roads.get(r);
    JsonObject road2 = roads.get(otherIndex(r, roads.size()));
    boolean toFirst = chance(50);
    List<String> interchanges = text.pool("interchanges");
    String a = pick(interchanges);
    JsonObject cause = pickRow(text.rows("traffic-causes"));
    String direction = text.one("traffic.direction");
    Vars v = vars().put("road", str(road, "name"))
        .put("dir", format(direction, "end", str(road, toFirst ? "from" : "to")))
        .put("dir2", format(direction, "end", str(road, toFirst ? "to" : "from")))
        .put("road2", str(road2, "name")).put("a", a).put("b", pickOther(interchanges, a))
        .put("c2", pick(interchanges)).put("km", between(2, 25)).put("cause", str(cause, "cause"))
        .put("time", format(text.one("traffic.time"), "half", pick(text.pool("half-days")), "h", between(1, 11)))
        .put("h2", between(2, 9)).put("n", between(1, 4)).put("lanes", between(1, 2));
    d.key = str(road, "name");
    String lead = "traffic.leads." + draw("traffic.leads");
    required(d, v, lead);
    summary(d, v, lead);
    if (cause.get("accident").getAsBoolean()) {
      d.optional.add(chance(50) ? v.f(text.one("traffic.injured")) : v.f(text.one("traffic.unhurt")));
      d.optional.add(v.f(text.one("traffic.towing")));
    } else {
      d.optional.add(v.f(text.one("traffic.roadworks")));
    }
    more(d, v, "traffic");
    distractors(d, v, "traffic");
    return d;
  }

  private Draft announcement() {
    Draft d = new Draft("announcement");
    List<String> cities = text.pool("cities");
    List<String> metros = text.pool("metro-cities");
    List<String> districts = text.pool("districts");
    String city = pick(cities);
    String metro = pick(metros);
    String gu = pick(districts);
    Vars v = vars().put("C", city).put("C2", pickOther(cities, city)).put("gu", gu)
        .put("gu2", pickOther(districts, gu)).put("M", metro).put("M2", pickOther(metros, metro))
        .put("m", between(1, 12)).put("d", between(1, 28));
    int kind = rnd.nextInt(NOTICES.size());
    String section = "announcement." + NOTICES.get(kind);
    switch (kind) {
      case 0 -> { // water supply cut
        List<String> dongs = text.pool("neighbourhoods");
        String dong = pick(dongs);
        v.put("dong", dong).put("dong2", pickOther(dongs, dong));
        v.put("h", between(6, 11)).put("dur", between(4, 12));
        d.key = dong;
      }
      case 1 -> { // library closed
        String lib = format(text.one(section + ".library"), "C", city, "name", pick(text.list(section + ".names")));
        v.put("lib", lib).put("n", between(3, 30));
        v.put("why", pick(text.list(section + ".reasons")));
        d.key = lib;
      }
      case 2 -> { // grant
        v.put("who", pick(text.list(section + ".recipients")));
        v.put("what", pick(text.list(section + ".costs")));
        v.put("amt", pick(text.list(section + ".amounts"))).put("cnt", num(between(5, 90) * 100));
        d.key = city;
      }
      default -> { // street closed for an event
        String street = pick(text.list(section + ".streets"));
        v.put("st", street).put("ev", pick(text.list(section + ".events")));
        v.put("h1", between(6, 10)).put("h2", between(1, 6));
        d.key = street;
      }
    }
    fill(d, v, section);
    if (kind == 3) {
      v.put("staff", between(30, 200));
      d.optional.add(v.f(text.one(section + ".staffing")));
    }
    distractors(d, v, section);
    return d;
  }

  private Draft science() {
    Draft d = new Draft("science");
    JsonObject f = pickRow(text.rows("findings"));
    List<String> universities = text.pool("universities");
    String univ = pick(universities);
    String prof = person();
    Vars v = vars().put("U", univ).put("U2", pickOther(universities, univ)).put("P", prof).put("P2", person())
        .put("dept", str(f, "dept")).put("x", between(f.get("min").getAsInt(), f.get("max").getAsInt()))
        .put("yrs", between(2, 7));
    v.put("finding", v.f(str(f, "finding"))).put("short", v.f(str(f, "short")));
    required(d, v, "science");
    drawSummary(d, v, "science", Map.of());
    more(d, v, "science");
    distractors(d, v, "science");
    return d;
  }

  private Draft culture() {
    Draft d = new Draft("culture");
    List<String> cities = text.pool("cities");
    List<String> events = text.pool("events");
    String city = pick(cities);
    String event = pick(events);
    Vars v = vars().put("C", city).put("C2", pickOther(cities, city)).put("E", event)
        .put("E2", pickOther(events, event)).put("V", pick(text.pool("venues"))).put("m", between(3, 11))
        .put("d", between(1, 28)).put("n", between(2, 10)).put("k", between(12, 80))
        .put("vis", between(2, 60)).put("vis2", between(2, 60)).put("fee", between(3, 15))
        .put("h", between(5, 8));
    d.key = event;
    fill(d, v, "culture");
    distractors(d, v, "culture");
    return d;
  }

  private Draft realEstate() {
    Draft d = new Draft("real-estate");
    List<String> regions = text.pool("regions");
    String region = pick(regions);
    boolean up = chance(55);
    String trend = up ? "real-estate.up" : "real-estate.down";
    Vars v = vars().put("R", region).put("R2", pickOther(regions, region))
        .put("period", format(text.one("real-estate.period"), "m", between(1, 12), "week", pick(text.list("real-estate.weeks"))))
        .put("x", hundredths(between(1, 45))).put("y", hundredths(between(1, 30)))
        .put("z", hundredths(between(1, 30))).put("k", between(2, 12)).put("cnt", num(between(80, 2400)))
        .put("upV", text.one(trend + ".verb")).put("upN", text.one(trend + ".noun"))
        .put("upAdv", text.one(trend + ".adverb"));
    d.key = region;
    String lead = "real-estate.leads." + draw("real-estate.leads");
    required(d, v, lead);
    summary(d, v, lead);
    more(d, v, "real-estate");
    distractors(d, v, "real-estate");
    return d;
  }

  private Draft health() {
    Draft d = new Draft("health");
    List<String> cities = text.pool("cities");
    String city = pick(cities);
    List<JsonObject> diseases = text.rows("diseases");
    int di = rnd.nextInt(diseases.size());
    JsonObject disease = diseases.get(di);
    JsonObject disease2 = diseases.get(otherIndex(di, diseases.size()));
    Vars v = vars().put("C", city).put("C2", pickOther(cities, city)).put("dz", str(disease, "name"))
        .put("dz2", str(disease2, "name")).put("advice", str(disease, "advice"))
        .put("grp", pick(text.list("health.groups"))).put("n", num(between(30, 900)))
        .put("x", between(5, 80));
    d.key = city;
    required(d, v, "health");
    String advice = v.f(text.one("health.advice"));
    drawSummary(d, v, "health", Map.of("advice", advice));
    if (!d.required.contains(advice)) {
      opener(d, advice);
    } else {
      d.openers.add(advice);
    }
    more(d, v, "health");
    distractors(d, v, "health");
    return d;
  }

  private Draft fire() {
    Draft d = new Draft("fire");
    String city = pick(text.pool("metro-cities"));
    String gu = pick(text.pool("districts"));
    JsonObject place = pickRow(text.rows("places"));
    Vars v = vars().put("C", city).put("C2", pickOther(text.pool("cities"), city)).put("gu", gu)
        .put("place", str(place, "place")).put("who", str(place, "who")).put("time", fireTime())
        .put("n", between(1, 6)).put("e", between(10, 120)).put("t", between(15, 90))
        .put("fl", between(2, 15)).put("cause", pick(text.pool("fire-causes")))
        .put("dmg", num(between(5, 99) * 100)).put("trucks", between(8, 40)).put("crew", between(30, 150));
    d.key = city + " " + gu;
    String injured = v.f(text.one("fire.injured"));
    String evacuated = v.f(text.one("fire.evacuated"));
    String extinguished = v.f(text.one("fire.extinguished"));
    int lead = draw("fire.leads");
    required(d, v, "fire.leads." + lead);
    summary(d, v, "fire.leads." + lead);
    switch (lead) { // what the lead does not say yet
      case 0 -> {
        d.optional.add(evacuated);
        d.optional.add(extinguished);
      }
      case 1 -> {
        d.optional.add(chance(60) ? injured : v.f(text.one("fire.unhurt")));
        d.optional.add(extinguished);
      }
      default -> {
        d.optional.add(chance(60) ? injured : v.f(text.one("fire.unhurt")));
        d.optional.add(evacuated);
      }
    }
    more(d, v, "fire");
    distractors(d, v, "fire");
    return d;
  }

  /** When a fire broke out: 어제, 지난 N일 or 이날, then the clock time. */
  private String fireTime() {
    int date = between(1, 28);
    return format(
        text.one("fire.time"),
        "day", format(pick(text.list("fire.days")), "d", date),
        "half", pick(text.pool("half-days")),
        "h", between(1, 11),
        "m", 5 * between(1, 11));
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
    List<String> indices = text.list("stocks.indices");
    String trend = up ? "stocks.up" : "stocks.down";
    Vars v = vars().put("idx", indices.get(kospi ? 0 : 1)).put("idx2", indices.get(kospi ? 1 : 0))
        .put("dd", between(1, 28)).put("level", levelText)
        .put("l2", String.format(Locale.ROOT, "%,.2f", level2))
        .put("x", String.format(Locale.ROOT, "%.2f", x))
        .put("y", String.format(Locale.ROOT, "%.2f", between(5, 300) / 100.0))
        .put("pts", String.format(Locale.ROOT, "%.2f", pts)).put("upAdj", text.one(trend + ".adjective"))
        .put("upV", text.one(trend + ".verb")).put("upN", text.one(trend + ".noun"))
        .put("a", num(between(100, 9000)))
        .put("fx", String.format(Locale.ROOT, "%,.1f", between(12500, 14500) / 10.0))
        .put("driver", pick(text.list(trend + ".drivers"))).put("drive", text.one(trend + ".drive"));
    d.key = levelText;
    fill(d, v, "stocks");
    distractors(d, v, "stocks");
    return d;
  }
}
