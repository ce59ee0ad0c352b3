package ai.peft4j.examples.summarization.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Fills generator templates. {@code [a|b|c]} picks one option at random; {@code {key}} inserts a
 * variable and {@code {key:이}} inserts it with the particle form that fits (이/가, 을/를 ...).
 * Choices are expanded left to right, so a fixed random sequence gives a fixed text.
 */
final class Vars {

  private final Random random;
  private final Map<String, String> values = new LinkedHashMap<>();

  Vars(Random random) {
    this.random = random;
  }

  Vars put(String key, String value) {
    values.put(key, value);
    return this;
  }

  Vars put(String key, int value) {
    return put(key, Integer.toString(value));
  }

  String get(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new IllegalStateException("template variable not set: " + key);
    }
    return v;
  }

  /** Fills one template. */
  String f(String template) {
    return substitute(choose(template));
  }

  /** Picks one template at random and fills it. */
  String any(List<String> templates) {
    return f(templates.get(random.nextInt(templates.size())));
  }

  private String choose(String template) {
    StringBuilder out = new StringBuilder(template.length());
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (c == '[') {
        int end = template.indexOf(']', i);
        if (end < 0) {
          throw new IllegalArgumentException("unclosed [ in " + template);
        }
        String[] options = template.substring(i + 1, end).split("\\|", -1);
        out.append(options[random.nextInt(options.length)]);
        i = end + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private String substitute(String template) {
    StringBuilder out = new StringBuilder(template.length() + 32);
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (c == '{') {
        int end = template.indexOf('}', i);
        if (end < 0) {
          throw new IllegalArgumentException("unclosed { in " + template);
        }
        String spec = template.substring(i + 1, end);
        int colon = spec.indexOf(':');
        if (colon < 0) {
          out.append(get(spec));
        } else {
          out.append(Particles.attach(get(spec.substring(0, colon)), spec.substring(colon + 1)));
        }
        i = end + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
