package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.generate.GenerationConfig;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A model directory's decoding defaults, read as Hugging Face does: from
 * {@code generation_config.json} when present, otherwise from {@code config.json}. EOS and pad ids
 * missing from the former fall back to the latter. Command-line flags override all of it.
 *
 * <pre>{@code
 * GenerationConfig.Builder b = GenerationDefaults.read(dir).apply(GenerationConfig.builder(), promptLength);
 * }</pre>
 */
public final class GenerationDefaults {
    private final JsonObject source;
    private final JsonObject modelConfig;

    private GenerationDefaults(JsonObject source, JsonObject modelConfig) {
        this.source = source;
        this.modelConfig = modelConfig;
    }

    /** Reads the defaults of a model directory. */
    public static GenerationDefaults read(Path dir) {
        JsonObject model = parse(dir.resolve("config.json"));
        Path gen = dir.resolve("generation_config.json");
        return new GenerationDefaults(Files.isRegularFile(gen) ? parse(gen) : model, model);
    }

    /** Applies the stored defaults to a builder; {@code promptLength} converts a stored {@code max_length}. */
    public GenerationConfig.Builder apply(GenerationConfig.Builder b, int promptLength) {
        try {
            if (has(source, "max_new_tokens")) {
                b.maxNewTokens(source.get("max_new_tokens").getAsInt());
            } else if (has(source, "max_length")) {
                b.maxNewTokens(Math.max(0, source.get("max_length").getAsInt() - promptLength));
            }
            if (has(source, "min_new_tokens")) {
                b.minNewTokens(source.get("min_new_tokens").getAsInt());
            }
            if (has(source, "do_sample")) {
                b.doSample(source.get("do_sample").getAsBoolean());
            }
            if (has(source, "temperature")) {
                b.temperature(source.get("temperature").getAsDouble());
            }
            if (has(source, "top_k")) {
                b.topK(source.get("top_k").getAsInt());
            }
            if (has(source, "top_p")) {
                b.topP(source.get("top_p").getAsDouble());
            }
            if (has(source, "repetition_penalty")) {
                b.repetitionPenalty(source.get("repetition_penalty").getAsDouble());
            }
            if (has(source, "no_repeat_ngram_size")) {
                b.noRepeatNgramSize(source.get("no_repeat_ngram_size").getAsInt());
            }
            if (has(source, "num_beams")) {
                b.numBeams(source.get("num_beams").getAsInt());
            }
            if (has(source, "length_penalty")) {
                b.lengthPenalty(source.get("length_penalty").getAsDouble());
            }
            if (has(source, "early_stopping")) {
                JsonElement e = source.get("early_stopping");
                // HF also allows "never"; our beam search treats it like false.
                b.earlyStopping(e.getAsJsonPrimitive().isBoolean() && e.getAsBoolean());
            }
            Set<Integer> eos = ids(has(source, "eos_token_id") ? source : modelConfig, "eos_token_id");
            b.eosTokenIds(eos);
            JsonObject padFrom = has(source, "pad_token_id") ? source : modelConfig;
            if (has(padFrom, "pad_token_id")) {
                b.padTokenId(padFrom.get("pad_token_id").getAsInt());
            }
        } catch (ClassCastException | IllegalStateException | NumberFormatException | UnsupportedOperationException e) {
            throw new Peft4jException("generation defaults: a value has the wrong type: " + e.getMessage(), e);
        }
        return b;
    }

    /** The EOS ids (a single id or a list), empty when none is configured. */
    public Set<Integer> eosTokenIds() {
        return ids(has(source, "eos_token_id") ? source : modelConfig, "eos_token_id");
    }

    private static Set<Integer> ids(JsonObject o, String key) {
        Set<Integer> out = new LinkedHashSet<>();
        if (has(o, key)) {
            JsonElement e = o.get(key);
            if (e.isJsonArray()) {
                e.getAsJsonArray().forEach(x -> out.add(x.getAsInt()));
            } else {
                out.add(e.getAsInt());
            }
        }
        return out;
    }

    private static boolean has(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull();
    }

    private static JsonObject parse(Path file) {
        try {
            JsonElement root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!root.isJsonObject()) {
                throw new Peft4jException(file + ": expected a JSON object");
            }
            return root.getAsJsonObject();
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        } catch (JsonParseException e) {
            throw new Peft4jException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }
}
