package ai.peft4j.api.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import java.util.Objects;

/**
 * An immutable JSON value, for PEFT keys a config keeps verbatim without using them
 * ({@code auto_mapping}, {@code loftq_config}, ...): written back as read, compared as JSON.
 *
 * <pre>{@code
 * JsonValue v = JsonValue.of(JsonParser.parseString("{\"bits\": 4}"));
 * JsonElement copy = v.json(); // a copy: changing it leaves v as it was
 * }</pre>
 */
public final class JsonValue {
    private final JsonElement json;

    private JsonValue(JsonElement json) {
        this.json = json;
    }

    /** A copy of {@code json} (null is JSON null). */
    public static JsonValue of(JsonElement json) {
        return new JsonValue(json == null ? JsonNull.INSTANCE : json.deepCopy());
    }

    /** A copy of the value. */
    public JsonElement json() {
        return json.deepCopy();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JsonValue v && json.equals(v.json);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(json);
    }

    @Override
    public String toString() {
        return json.toString();
    }
}
