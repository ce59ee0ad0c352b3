package ai.peft4j.examples.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;

/**
 * JSON output of the commands: pretty-printed, nulls kept, text unescaped (so Korean and
 * {@code <s>} stay readable).
 *
 * <pre>{@code
 * out.println(CliJson.toJson(object));
 * }</pre>
 */
public final class CliJson {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();

    private CliJson() {}

    public static String toJson(JsonElement e) {
        return GSON.toJson(e);
    }

    public static JsonArray array(int[] ids) {
        JsonArray a = new JsonArray();
        for (int id : ids) {
            a.add(id);
        }
        return a;
    }
}
