package ai.peft4j.api.config;

import ai.peft4j.api.Peft4jException;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * Typed reads of one JSON object's keys, with the errors every config reader gives: a JSON
 * {@code null} counts as absent, and a value of the wrong type fails naming the source (the file)
 * and the key. {@link PeftSchema} reads through it; so do hand-written readers such as
 * {@link ai.peft4j.api.model.DecoderConfig}, whose defaults depend on other keys.
 *
 * <pre>{@code
 * ConfigJson j = new ConfigJson(json, "models/tiny/config.json");
 * int layers = j.integer("num_hidden_layers", 12);  // "models/tiny/config.json: num_hidden_layers must be an integer, got \"12\""
 * ConfigJson rope = j.object("rope_parameters");    // null when absent
 * }</pre>
 */
public final class ConfigJson {
    private final JsonObject json;
    private final String source;
    private final String prefix;

    /** A view of {@code json}; {@code source} (a file name) starts every error message. */
    public ConfigJson(JsonObject json, String source) {
        this(json, source, "");
    }

    private ConfigJson(JsonObject json, String source, String prefix) {
        this.json = json;
        this.source = source;
        this.prefix = prefix;
    }

    /** The file or other source named in errors. */
    public String source() {
        return source;
    }

    /** Whether the key is present and not JSON null. */
    public boolean has(String key) {
        return raw(key) != null;
    }

    /** The value as stored, or null when absent or JSON null. */
    public JsonElement raw(String key) {
        JsonElement e = json.get(key);
        return e == null || e.isJsonNull() ? null : e;
    }

    /** The value read by {@code codec}, or {@code def} when absent. */
    public <T> T get(String key, JsonCodec<T> codec, T def) {
        JsonElement e = raw(key);
        if (e == null) {
            return def;
        }
        T v;
        try {
            v = codec.read(e, prefix + key);
        } catch (Peft4jException ex) {
            throw new Peft4jException(source + ": " + ex.getMessage(), ex);
        }
        return v == null ? def : v;
    }

    /** An integer ({@code 4.0} is 4; {@code 4.5} and {@code "4"} are errors), or {@code def}. */
    public int integer(String key, int def) {
        return get(key, JsonCodecs.INT, def);
    }

    /** A number, or {@code def}. */
    public double number(String key, double def) {
        return get(key, JsonCodecs.DOUBLE, def);
    }

    /** {@code true} or {@code false}, or {@code def}. */
    public boolean bool(String key, boolean def) {
        return get(key, JsonCodecs.BOOLEAN, def);
    }

    /** A string, or {@code def}. */
    public String string(String key, String def) {
        return get(key, JsonCodecs.STRING, def);
    }

    /** The nested object as a view whose errors name {@code key.inner}, or null when absent. */
    public ConfigJson object(String key) {
        JsonObject o = get(key, JsonCodecs.OBJECT, null);
        return o == null ? null : new ConfigJson(o, source, prefix + key + ".");
    }

    /** An error about this source: "{@code source}: {@code message}". */
    public Peft4jException error(String message) {
        return new Peft4jException(source + ": " + message);
    }
}
