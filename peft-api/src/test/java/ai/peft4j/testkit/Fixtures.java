package ai.peft4j.testkit;

import ai.peft4j.api.data.TokenizedExample;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Locates the golden fixtures (made by Hugging Face transformers and PEFT) and reads their JSON.
 * The root comes from the {@code peft4j.fixtures} system property, which the build sets, or is
 * found by walking up from the working directory.
 */
public final class Fixtures {
    /** Every fixture model, as named in the fixtures' README. */
    public static final List<String> MODELS = List.of("tiny-gpt2", "tiny-gptj", "tiny-gpt-neox", "tiny-llama", "tiny-qwen2",
            "tiny-llama-fp16", "tiny-llama-bf16", "tiny-llama-sharded", "stories260k");

    private static final Map<Path, JsonObject> CACHE = new ConcurrentHashMap<>();

    private Fixtures() {}

    public static Path root() {
        String prop = System.getProperty("peft4j.fixtures");
        if (prop != null && Files.isDirectory(Path.of(prop))) {
            return Path.of(prop);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("peft-api/src/test/fixtures");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("fixtures not found: set -Dpeft4j.fixtures");
    }

    public static Path model(String name) {
        return root().resolve("models").resolve(name);
    }

    public static Path adapter(String base, String name) {
        return root().resolve("adapters").resolve(base).resolve(name);
    }

    public static Path training(String base, String method) {
        return root().resolve("training").resolve(base).resolve(method);
    }

    /** The parsed {@code golden.json} (or any JSON file) at a path, cached. */
    public static JsonObject json(Path file) {
        return CACHE.computeIfAbsent(file, f -> {
            try {
                return JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static JsonObject golden(Path dir) {
        return json(dir.resolve("golden.json"));
    }

    /** The forward case with this name ({@code single_ko}, {@code single_en}, {@code batch_left_pad}). */
    public static JsonObject forwardCase(JsonObject golden, String name) {
        for (JsonElement e : golden.getAsJsonArray("forward")) {
            if (e.getAsJsonObject().get("name").getAsString().equals(name)) {
                return e.getAsJsonObject();
            }
        }
        throw new IllegalArgumentException("no forward case " + name);
    }

    public static int[] ints(JsonArray a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).getAsInt();
        }
        return r;
    }

    public static int[][] ints2(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        JsonArray a = e.getAsJsonArray();
        int[][] r = new int[a.size()][];
        for (int i = 0; i < r.length; i++) {
            r[i] = ints(a.get(i).getAsJsonArray());
        }
        return r;
    }

    /** A nested float array flattened in row-major order. */
    public static float[] floats(JsonElement e) {
        java.util.ArrayList<Float> out = new java.util.ArrayList<>();
        flatten(e, out);
        float[] r = new float[out.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = out.get(i);
        }
        return r;
    }

    private static void flatten(JsonElement e, List<Float> out) {
        if (e.isJsonArray()) {
            for (JsonElement c : e.getAsJsonArray()) {
                flatten(c, out);
            }
        } else {
            out.add(e.getAsFloat());
        }
    }

    /**
     * {@code count} training sequences of {@code length} token ids below {@code vocab}, drawn from
     * {@code new Random(seed)}: data for trainer checks that need no text.
     */
    public static List<TokenizedExample> randomSequences(long seed, int count, int length, int vocab) {
        Random r = new Random(seed);
        List<TokenizedExample> data = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] ids = new int[length];
            for (int j = 0; j < length; j++) {
                ids[j] = r.nextInt(vocab);
            }
            data.add(TokenizedExample.ofSequence(ids));
        }
        return data;
    }
}
