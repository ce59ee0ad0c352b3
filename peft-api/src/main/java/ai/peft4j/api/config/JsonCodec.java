package ai.peft4j.api.config;

import ai.peft4j.api.Peft4jException;
import com.google.gson.JsonElement;

/**
 * Reads one Java value from a JSON value and writes it back, strictly: a value of the wrong JSON
 * type fails with a {@link Peft4jException} that names the key (the caller, {@link ConfigJson},
 * adds the file or source). {@link JsonCodecs} holds the standard ones.
 *
 * <pre>{@code
 * int r = JsonCodecs.INT.read(json.get("r"), "r");          // "r must be an integer, got \"8\""
 * JsonElement out = JsonCodecs.INT.write(8);
 * }</pre>
 *
 * @param <T> the Java type
 */
public interface JsonCodec<T> {

    /**
     * Reads a present value of {@code key} (not JSON null, except inside lists and maps); null
     * means "absent", so the key takes its default.
     */
    T read(JsonElement json, String key);

    /** The JSON for a non-null value. */
    JsonElement write(T value);

    /** What a list or map of these holds, for messages ({@code "integers"}). */
    default String plural() {
        return "values";
    }

    /** The standard error: "{@code key} must be {@code expected}, got {@code got}". */
    static Peft4jException mismatch(String key, String expected, JsonElement got) {
        return new Peft4jException(key + " must be " + expected + ", got " + got);
    }
}
