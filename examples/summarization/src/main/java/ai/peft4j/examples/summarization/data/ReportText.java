package ai.peft4j.examples.summarization.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The text of the synthetic report dataset: {@code synthetic/templates.json} (one section per
 * topic) and {@code synthetic/pools.json} (the entities), next to the bundled data on the
 * classpath. Both files describe their format in their {@code about} entry.
 *
 * <pre>{@code
 * ReportText text = ReportText.bundled();
 * List<String> cities = text.pool("cities");
 * String rainLead = text.list("weather.rain.required.0").get(0);
 * }</pre>
 */
final class ReportText {
  static final String TEMPLATES = SummarizationData.RESOURCE_DIR + "synthetic/templates.json";
  static final String POOLS = SummarizationData.RESOURCE_DIR + "synthetic/pools.json";

  private static final class Holder {
    static final ReportText INSTANCE = new ReportText(read(TEMPLATES), read(POOLS));
  }

  private final JsonObject templates;
  private final JsonObject pools;
  private final Map<String, List<String>> lists = new ConcurrentHashMap<>();
  private final Map<String, List<JsonObject>> rows = new ConcurrentHashMap<>();

  private ReportText(JsonObject templates, JsonObject pools) {
    this.templates = templates;
    this.pools = pools;
  }

  /** The bundled text, read once. */
  static ReportText bundled() {
    return Holder.INSTANCE;
  }

  /**
   * The template entry at a dotted path such as {@code weather.rain.summary}; a number picks an
   * element of a list ({@code traffic.leads.0}).
   */
  JsonElement at(String path) {
    JsonElement e = templates;
    for (String key : path.split("\\.")) {
      if (e != null && e.isJsonArray() && key.chars().allMatch(Character::isDigit)) {
        int i = Integer.parseInt(key);
        e = i < e.getAsJsonArray().size() ? e.getAsJsonArray().get(i) : null;
      } else {
        e = e != null && e.isJsonObject() ? e.getAsJsonObject().get(key) : null;
      }
      if (e == null) {
        throw new IllegalStateException(TEMPLATES + ": no " + path);
      }
    }
    return e;
  }

  /** The one template or phrase at {@code path}. */
  String one(String path) {
    return at(path).getAsString();
  }

  /** The list of strings at {@code path}. */
  List<String> list(String path) {
    return lists.computeIfAbsent(path, p -> strings(at(p)));
  }

  /** The word pool {@code name} of pools.json. */
  List<String> pool(String name) {
    return lists.computeIfAbsent("pools:" + name, p -> strings(poolEntry(name)));
  }

  /** The pool {@code name} whose entries are objects (roads, findings, diseases, ...). */
  List<JsonObject> rows(String name) {
    return rows.computeIfAbsent(name, n -> {
      List<JsonObject> out = new ArrayList<>();
      poolEntry(n).getAsJsonArray().forEach(e -> out.add(e.getAsJsonObject()));
      return List.copyOf(out);
    });
  }

  /** The strings of a JSON list. */
  static List<String> strings(JsonElement e) {
    List<String> out = new ArrayList<>();
    e.getAsJsonArray().forEach(s -> out.add(s.getAsString()));
    return List.copyOf(out);
  }

  private JsonElement poolEntry(String name) {
    JsonElement e = pools.get(name);
    if (e == null) {
      throw new IllegalStateException(POOLS + ": no pool " + name);
    }
    return e;
  }

  private static JsonObject read(String resource) {
    try (InputStream in = ReportText.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
