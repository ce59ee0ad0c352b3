package ai.peft4j.api.peft;

import ai.peft4j.api.Peft4jException;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The names and JSON of a PEFT adapter directory: {@code adapter_config.json} and
 * {@code adapter_model.safetensors}.
 *
 * <pre>{@code
 * JsonObject cfg = AdapterFiles.readConfig(dir);
 * String type = cfg.get("peft_type").getAsString();
 * }</pre>
 */
public final class AdapterFiles {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Gson PRETTY = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();

    private AdapterFiles() {}

    /** Reads and parses {@code adapter_config.json}; errors name the file. */
    public static JsonObject readConfig(Path dir) {
        Path file = dir.resolve(CONFIG);
        try {
            JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new Peft4jException(file + ": expected a JSON object");
            }
            JsonObject o = e.getAsJsonObject();
            if (!o.has("peft_type") || !o.get("peft_type").isJsonPrimitive()) {
                throw new Peft4jException(file + ": no 'peft_type'; is this a PEFT adapter directory?");
            }
            return o;
        } catch (NoSuchFileException e) {
            if (!Files.isDirectory(dir)) {
                throw new Peft4jException(dir + ": adapter directory not found");
            }
            throw new Peft4jException(file + ": not found (a PEFT adapter directory holds adapter_config.json)");
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new Peft4jException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The weights file of an adapter dir; a pickle {@code adapter_model.bin} is refused. */
    public static Path weightsFile(Path dir) {
        Path st = dir.resolve(WEIGHTS);
        if (Files.isRegularFile(st)) {
            return st;
        }
        if (Files.isRegularFile(dir.resolve("adapter_model.bin"))) {
            throw new Peft4jException(dir + ": only adapter_model.bin (a PyTorch pickle, which can run code) is present; "
                    + "re-save it in Python with model.save_pretrained(dir, safe_serialization=True)");
        }
        throw new Peft4jException(st + ": not found");
    }

    /** PEFT-style pretty JSON (two-space indent, keys as given). */
    public static String toJson(JsonObject o) {
        return PRETTY.toJson(o) + "\n";
    }

    /** Checks an adapter name: letters, digits, '_', '-', '.', no path separators. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
            throw new Peft4jException("invalid adapter name '" + name
                    + "': use letters, digits, '_', '-' and '.', starting with a letter or digit (no path separators)");
        }
        return name;
    }
}
