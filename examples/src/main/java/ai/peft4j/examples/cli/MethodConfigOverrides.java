package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.List;

/**
 * Applies {@code --set KEY=VALUE} flags to a method config in PEFT's {@code adapter_config.json}
 * keys; a value is read as JSON when it parses ({@code 8}, {@code true}, {@code ["q_proj"]}) and
 * as a string otherwise.
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
            String value = s.substring(eq + 1);
            JsonElement v;
            try {
                v = JsonParser.parseString(value);
            } catch (RuntimeException e) {
                v = new JsonPrimitive(value);
            }
            config.add(s.substring(0, eq), v);
        }
        return config;
    }
}
