package ai.peft4j.api.data;

import ai.peft4j.api.Peft4jException;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON Lines: one JSON object per line; blank lines are skipped. String values are taken
 * as they are, numbers and booleans as their JSON text, and null as absent; nested values are an
 * error naming the line.
 *
 * <pre>{@code
 * List<DataRow> rows = JsonlReader.read(Path.of("train.jsonl"));
 * }</pre>
 */
public final class JsonlReader {
    private JsonlReader() {}

    public static List<DataRow> read(Path file) {
        List<DataRow> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            int line = 0;
            while ((text = in.readLine()) != null) {
                line++;
                if (line == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                if (text.isBlank()) {
                    continue;
                }
                rows.add(parseLine(text, file + ":" + line));
            }
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        }
        return rows;
    }

    static DataRow parseLine(String text, String where) {
        JsonElement e;
        try {
            e = JsonParser.parseString(text);
        } catch (JsonParseException ex) {
            throw new Peft4jException(where + ": not valid JSON: " + ex.getMessage(), ex);
        }
        if (!e.isJsonObject()) {
            throw new Peft4jException(where + ": expected a JSON object per line");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> kv : ((JsonObject) e).entrySet()) {
            JsonElement v = kv.getValue();
            if (v.isJsonNull()) {
                continue;
            }
            if (!v.isJsonPrimitive()) {
                throw new Peft4jException(where + ": column '" + kv.getKey() + "' is not a string, number or boolean");
            }
            values.put(kv.getKey(), v.getAsJsonPrimitive().isString() ? v.getAsString() : v.toString());
        }
        return new DataRow(where, Collections.unmodifiableMap(values));
    }
}
