package ai.peft4j.api.model;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.config.ConfigJson;
import ai.peft4j.api.config.JsonCodecs;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The sizes and switches of a decoder, read from a Hugging Face {@code config.json}.
 *
 * <p>One class serves every architecture: each family's key names (GPT-2's {@code n_embd}, Llama's
 * {@code hidden_size}, ...) and both transformers 4 ({@code rope_theta}, {@code torch_dtype}) and
 * transformers 5 ({@code rope_parameters}, {@code dtype}) spellings are normalised here, so the
 * architectures read plain fields.
 *
 * <pre>{@code
 * DecoderConfig cfg = DecoderConfig.load(Path.of("models/tiny-llama/config.json"));
 * System.out.println(cfg.modelType() + " " + cfg.numLayers() + " layers");
 * }</pre>
 */
public final class DecoderConfig {
    private final JsonObject json;
    private final ConfigJson j;
    private final String modelType;
    private final int vocabSize;
    private final int hiddenSize;
    private final int numLayers;
    private final int numHeads;
    private final int numKvHeads;
    private final int headDim;
    private final int intermediateSize;
    private final int maxPositions;
    private final double normEps;
    private final String activation;
    private final double ropeTheta;
    private final int rotaryDim;
    private final boolean tieWordEmbeddings;
    private final boolean parallelResidual;
    private final boolean attentionBias;
    private final int slidingWindow;
    private final String dtype;
    private final Integer bosTokenId;
    private final Integer eosTokenId;
    private final Integer padTokenId;

    private DecoderConfig(JsonObject json, String source) {
        this.json = json;
        this.j = new ConfigJson(json, source);
        this.modelType = j.string("model_type", null);
        if (modelType == null) {
            throw j.error("no 'model_type' key; is this a Hugging Face config.json?");
        }
        java.util.Set<String> supported = Architectures.supportedTypes();
        if (!supported.contains(modelType.toLowerCase(Locale.ROOT))) {
            throw j.error("unsupported model_type '" + modelType + "'; supported: " + String.join(", ", supported));
        }
        boolean gpt2Style = modelType.equals("gpt2") || modelType.equals("gptj");
        this.vocabSize = intReq("vocab_size");
        this.hiddenSize = intReq(gpt2Style ? "n_embd" : "hidden_size");
        this.numLayers = intReq(gpt2Style ? "n_layer" : "num_hidden_layers");
        this.numHeads = intReq(gpt2Style ? "n_head" : "num_attention_heads");
        this.numKvHeads = j.integer("num_key_value_heads", numHeads);
        this.headDim = j.integer("head_dim", hiddenSize / Math.max(1, numHeads));
        this.intermediateSize = gpt2Style ? j.integer("n_inner", 4 * hiddenSize) : j.integer("intermediate_size", 4 * hiddenSize);
        this.maxPositions = gpt2Style ? j.integer("n_positions", j.integer("n_ctx", 1024)) : j.integer("max_position_embeddings", 2048);
        this.normEps = j.number(gpt2Style ? "layer_norm_epsilon" : (modelType.equals("gpt_neox") ? "layer_norm_eps" : "rms_norm_eps"), 1e-5);
        this.activation = j.string(gpt2Style ? "activation_function" : "hidden_act", gpt2Style ? "gelu_new" : "silu");
        this.ropeTheta = readRopeTheta();
        this.rotaryDim = readRotaryDim();
        this.tieWordEmbeddings = j.bool("tie_word_embeddings", modelType.equals("gpt2"));
        this.parallelResidual = j.bool("use_parallel_residual", true);
        this.attentionBias = j.bool("attention_bias", modelType.equals("qwen2") || modelType.equals("gpt_neox"));
        this.slidingWindow = readSlidingWindow();
        this.dtype = j.string("dtype", j.string("torch_dtype", "float32"));
        this.bosTokenId = firstInt("bos_token_id");
        this.eosTokenId = firstInt("eos_token_id");
        this.padTokenId = firstInt("pad_token_id");
        validate(source);
    }

    /** Reads and parses a {@code config.json}; errors name the file. */
    public static DecoderConfig load(Path configJson) {
        String text;
        try {
            text = Files.readString(configJson, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new Peft4jException(configJson + ": not found (a model directory needs config.json)");
        } catch (IOException e) {
            throw new Peft4jException(configJson + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, configJson.toString());
    }

    /** Parses config JSON text; {@code source} names it in error messages. */
    public static DecoderConfig parse(String jsonText, String source) {
        JsonElement root;
        try {
            root = JsonParser.parseString(jsonText);
        } catch (JsonParseException | IllegalStateException e) {
            throw new Peft4jException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new Peft4jException(source + ": expected a JSON object");
        }
        return new DecoderConfig(root.getAsJsonObject(), source); // a value of the wrong type fails naming its key
    }

    private void validate(String source) {
        check(source, vocabSize > 0 && vocabSize <= 10_000_000, "vocab_size", vocabSize);
        check(source, hiddenSize > 0 && hiddenSize <= 1_000_000, "hidden size", hiddenSize);
        check(source, numLayers > 0 && numLayers <= 10_000, "layer count", numLayers);
        check(source, numHeads > 0 && numHeads <= hiddenSize, "attention head count", numHeads);
        check(source, numKvHeads > 0 && numHeads % numKvHeads == 0, "num_key_value_heads (must divide the head count)", numKvHeads);
        check(source, headDim > 0 && headDim <= 100_000, "head_dim", headDim);
        check(source, intermediateSize > 0, "intermediate size", intermediateSize);
        check(source, maxPositions > 0, "max positions", maxPositions);
        check(source, rotaryDim >= 0 && rotaryDim <= headDim && rotaryDim % 2 == 0, "rotary dimension (even, at most head_dim)", rotaryDim);
    }

    private static void check(String source, boolean ok, String what, long value) {
        if (!ok) {
            throw new Peft4jException(source + ": invalid " + what + ": " + value);
        }
    }

    private double readRopeTheta() {
        ConfigJson params = j.object("rope_parameters");
        if (params != null && params.has("rope_theta")) {
            return params.number("rope_theta", 10000.0);
        }
        if (j.has("rope_theta")) {
            return j.number("rope_theta", 10000.0);
        }
        return j.number("rotary_emb_base", 10000.0);
    }

    private int readRotaryDim() {
        switch (modelType) {
            case "gpt2":
                return 0;
            case "gptj":
                return j.integer("rotary_dim", headDim);
            case "gpt_neox": {
                double pct = j.has("rotary_pct") ? j.number("rotary_pct", 1.0) : j.number("partial_rotary_factor", 1.0);
                ConfigJson params = j.object("rope_parameters");
                if (params != null && params.has("partial_rotary_factor")) {
                    pct = params.number("partial_rotary_factor", pct);
                }
                return (int) (headDim * pct);
            }
            default:
                return (int) (headDim * j.number("partial_rotary_factor", 1.0));
        }
    }

    private int readSlidingWindow() {
        if (modelType.equals("qwen2") && !j.bool("use_sliding_window", false)) {
            return 0;
        }
        return j.integer("sliding_window", 0);
    }

    /** The rope scaling block ({@code rope_scaling} or transformers 5 {@code rope_parameters}), or null. */
    public JsonObject ropeScaling() {
        JsonObject scaling = j.get("rope_scaling", JsonCodecs.OBJECT, null);
        if (scaling == null) {
            ConfigJson params = j.object("rope_parameters");
            if (params != null && params.has("rope_type") && !"default".equals(params.string("rope_type", "default"))) {
                scaling = j.get("rope_parameters", JsonCodecs.OBJECT, null);
            }
        }
        return scaling;
    }

    private int intReq(String key) {
        if (!j.has(key)) {
            throw j.error("missing '" + key + "' for model_type " + modelType);
        }
        return j.integer(key, 0);
    }

    /** An integer, or the first of a list of them ({@code eos_token_id: [1, 2]}), or null. */
    private Integer firstInt(String key) {
        List<Integer> ids = j.get(key, JsonCodecs.oneOrList(JsonCodecs.INT), null);
        return ids == null || ids.isEmpty() ? null : ids.get(0);
    }

    /** The raw JSON, for architecture-specific keys. */
    public JsonObject json() {
        return json.deepCopy();
    }

    public String modelType() {
        return modelType.toLowerCase(Locale.ROOT);
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    public int numLayers() {
        return numLayers;
    }

    public int numHeads() {
        return numHeads;
    }

    public int numKvHeads() {
        return numKvHeads;
    }

    public int headDim() {
        return headDim;
    }

    public int intermediateSize() {
        return intermediateSize;
    }

    public int maxPositions() {
        return maxPositions;
    }

    public double normEps() {
        return normEps;
    }

    public String activation() {
        return activation;
    }

    public double ropeTheta() {
        return ropeTheta;
    }

    public int rotaryDim() {
        return rotaryDim;
    }

    public boolean tieWordEmbeddings() {
        return tieWordEmbeddings;
    }

    public boolean parallelResidual() {
        return parallelResidual;
    }

    public boolean attentionBias() {
        return attentionBias;
    }

    /** The attention window of Mistral-style models, or 0 when attention is global. */
    public int slidingWindow() {
        return slidingWindow;
    }

    /** The stored dtype name ({@code float32}, {@code float16}, {@code bfloat16}). */
    public String dtype() {
        return dtype;
    }

    public Integer bosTokenId() {
        return bosTokenId;
    }

    public Integer eosTokenId() {
        return eosTokenId;
    }

    public Integer padTokenId() {
        return padTokenId;
    }

    /** A boolean config key with a default, for architecture-specific switches. */
    public boolean flag(String key, boolean def) {
        return j.bool(key, def);
    }

    /** A numeric config key with a default, for architecture-specific values. */
    public double number(String key, double def) {
        return j.number(key, def);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(layers=%d, hidden=%d, heads=%d/%d, vocab=%d, ctx=%d)",
                modelType, numLayers, hiddenSize, numHeads, numKvHeads, vocabSize, maxPositions);
    }
}
