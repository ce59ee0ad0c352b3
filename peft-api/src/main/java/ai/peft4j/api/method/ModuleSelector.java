package ai.peft4j.api.method;

import ai.peft4j.api.Peft4jException;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A value of PEFT's {@code target_modules}, {@code exclude_modules} or {@code feedforward_modules}
 * config keys, shared by every method that hooks linear sites: a regex string matched against the
 * whole module path ({@code "all-linear"} is PEFT's shorthand for every linear layer except the
 * output head; see {@link TargetModules#resolve}), or a list of names that match a path exactly or
 * as a {@code .}-separated suffix.
 *
 * <pre>{@code
 * ModuleSelector t = ModuleSelector.fromJson(json.get("target_modules"), "target_modules");
 * boolean hit = t.matches("model.layers.0.self_attn.q_proj");
 * }</pre>
 */
public final class ModuleSelector {
    /** The {@code target_modules} shorthand for every linear layer except the output head. */
    public static final String ALL_LINEAR = "all-linear";

    private final String regex;
    private final List<String> names;
    private final Pattern compiled;

    private ModuleSelector(String regex, List<String> names) {
        this.regex = regex;
        this.names = names == null ? null : List.copyOf(names);
        Pattern p = null;
        if (regex != null && !isAllLinear()) {
            try {
                p = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new Peft4jException("'" + regex + "' is not a valid regular expression: " + e.getDescription());
            }
        }
        this.compiled = p;
    }

    /** A regex string ({@code "all-linear"} is the shorthand PEFT resolves per model). */
    public static ModuleSelector regex(String regex) {
        return new ModuleSelector(Objects.requireNonNull(regex, "regex"), null);
    }

    /** A list of exact module paths or name suffixes. */
    public static ModuleSelector names(List<String> names) {
        for (String n : names) {
            if (n == null || n.isEmpty()) {
                throw new Peft4jException("module names must be non-empty strings, got " + names);
            }
        }
        return new ModuleSelector(null, names);
    }

    /**
     * Reads a config value: null for an absent or JSON-null value, a regex for a string, names for
     * a list of strings; anything else fails with a message naming {@code key}.
     */
    public static ModuleSelector fromJson(JsonElement e, String key) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        try {
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
                return regex(e.getAsString());
            }
            if (e.isJsonArray()) {
                List<String> out = new ArrayList<>();
                for (JsonElement x : e.getAsJsonArray()) {
                    if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
                        throw new Peft4jException("must be a regex string or a list of module names, got " + e);
                    }
                    out.add(x.getAsString());
                }
                return names(out);
            }
        } catch (Peft4jException ex) {
            throw new Peft4jException(key + ": " + ex.getMessage(), ex);
        }
        throw new Peft4jException(key + " must be a regex string or a list of module names, got " + e);
    }

    public boolean isRegex() {
        return regex != null;
    }

    /** Whether this is PEFT's {@code "all-linear"} shorthand (case-insensitive, as PEFT). */
    public boolean isAllLinear() {
        return regex != null && regex.toLowerCase(Locale.ROOT).equals(ALL_LINEAR);
    }

    public String regexString() {
        return regex;
    }

    /** The names, or null for a regex. */
    public List<String> nameList() {
        return names;
    }

    /** PEFT's match for this selector alone: full-match regex, or exact name, or '.'-suffix. */
    public boolean matches(String module) {
        if (regex != null) {
            return compiled != null && BoundedRegex.matcher(compiled, module).matches();
        }
        return names.contains(module) || matchesSuffix(module);
    }

    /** True when the module is one of the names exactly (PEFT skips its layer filter then). */
    public boolean matchesExactName(String module) {
        return names != null && names.contains(module);
    }

    /** True when the module path ends with {@code "." + name} for one of the names. */
    public boolean matchesSuffix(String module) {
        if (names == null) {
            return false;
        }
        for (String n : names) {
            if (module.endsWith("." + n)) {
                return true;
            }
        }
        return false;
    }

    /** The {@code adapter_config.json} value: the regex string or the list of names. */
    public JsonElement toJson() {
        if (regex != null) {
            return new JsonPrimitive(regex);
        }
        JsonArray a = new JsonArray();
        names.forEach(a::add);
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModuleSelector s && Objects.equals(regex, s.regex) && Objects.equals(names, s.names);
    }

    @Override
    public int hashCode() {
        return Objects.hash(regex, names);
    }

    @Override
    public String toString() {
        return regex != null ? "'" + regex + "'" : names.toString();
    }
}
