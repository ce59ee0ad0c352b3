package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;

/**
 * Applies {@code --set KEY=VALUE} flags to a method config in PEFT's {@code adapter_config.json}
 * keys. A value is read as strict JSON ({@code 8}, {@code true}, {@code ["q_proj","v_proj"]},
 * {@code "TEXT"}); a bare word that is not JSON ({@code all-linear}, {@code TEXT},
 * {@code .*\.q_proj}) is the string it spells. A value that looks like JSON but is not
 * ({@code [q_proj, v_proj}, {@code ["q_proj",]}), or holds a comma, is refused: PEFT reads a string
 * {@code target_modules} as a regular expression, so a typo'd list must not silently become one.
 *
 * <pre>{@code
 * JsonObject cfg = MethodConfigOverrides.apply(new JsonObject(), List.of("r=8", "target_modules=all-linear"));
 * }</pre>
 */
final class MethodConfigOverrides {
    private MethodConfigOverrides() {}

    static JsonObject apply(JsonObject config, List<String> sets) {
        for (String s : sets) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new Peft4jException("--set expects KEY=VALUE, got '" + s + "'");
            }
            config.add(s.substring(0, eq), value(s, s.substring(eq + 1)));
        }
        return config;
    }

    /** The JSON value of one flag (see the class comment). */
    static JsonElement value(String flag, String value) {
        String problem;
        try (JsonReader reader = new JsonReader(new StringReader(value))) {
            reader.setStrictness(Strictness.STRICT);
            JsonElement e = JsonParser.parseReader(reader);
            if (reader.peek() == JsonToken.END_DOCUMENT) {
                return e;
            }
            problem = "text after the JSON value";
        } catch (IOException | RuntimeException e) {
            problem = e.getMessage();
        }
        String v = value.strip();
        if (v.startsWith("[") || v.startsWith("{") || v.startsWith("\"") || v.contains(",")) {
            throw new Peft4jException("--set " + flag + ": the value is not valid JSON (" + problem + "). Write it as JSON: a list is "
                    + "[\"q_proj\",\"v_proj\"] (quote the flag in the shell: --set 'target_modules=[\"q_proj\",\"v_proj\"]'), "
                    + "a string holding commas or brackets is quoted (\"...\"); a bare word without them is taken as a string");
        }
        return new JsonPrimitive(value);
    }
}
