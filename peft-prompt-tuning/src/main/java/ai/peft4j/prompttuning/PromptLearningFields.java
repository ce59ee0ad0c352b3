package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.model.DecoderConfig;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys every PEFT prompt-learning config shares (PEFT's {@code PeftConfigMixin} and
 * {@code PromptLearningConfig}), read, validated, filled from the base and written the same way
 * for prompt tuning and P-tuning. Mutable; owned by one config or builder at a time.
 */
final class PromptLearningFields {
    static final Set<String> KEYS = Set.of("peft_type", "task_type", "auto_mapping", "base_model_name_or_path", "revision",
            "inference_mode", "peft_version", "modules_to_save", "num_virtual_tokens", "token_dim",
            "num_transformer_submodules", "num_attention_heads", "num_layers");

    private static final Logger LOG = LoggerFactory.getLogger(PromptLearningFields.class);

    Integer numVirtualTokens;
    Integer tokenDim;
    Integer numTransformerSubmodules;
    Integer numLayers;
    Integer numAttentionHeads;
    String taskType;
    String baseModelNameOrPath;
    String revision;
    boolean inferenceMode;
    String peftVersion;
    JsonElement autoMapping = JsonNull.INSTANCE;

    PromptLearningFields copy() {
        PromptLearningFields c = new PromptLearningFields();
        c.numVirtualTokens = numVirtualTokens;
        c.tokenDim = tokenDim;
        c.numTransformerSubmodules = numTransformerSubmodules;
        c.numLayers = numLayers;
        c.numAttentionHeads = numAttentionHeads;
        c.taskType = taskType;
        c.baseModelNameOrPath = baseModelNameOrPath;
        c.revision = revision;
        c.inferenceMode = inferenceMode;
        c.peftVersion = peftVersion;
        c.autoMapping = autoMapping.deepCopy();
        return c;
    }

    /** Warns once about keys neither these fields nor the method's own ({@code methodKeys}) know. */
    static void warnUnknown(JsonObject json, Set<String> methodKeys, String source) {
        List<String> unknown = new ArrayList<>();
        for (String key : json.keySet()) {
            if (!KEYS.contains(key) && !methodKeys.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            unknown.sort(null);
            LOG.warn("{}: ignoring unknown adapter config keys {} (written by a newer PEFT?)", source, unknown);
        }
    }

    /** Reads the shared keys; {@code peftType} is the only {@code peft_type} accepted. */
    static PromptLearningFields read(JsonObject json, String source, String peftType) {
        String type = string(json, "peft_type", source);
        if (type != null && !type.equals(peftType)) {
            throw new Peft4jException(source + ": peft_type is '" + type + "', not " + peftType);
        }
        PromptLearningFields f = new PromptLearningFields();
        f.numVirtualTokens = isNull(json, "num_virtual_tokens") ? null : integer(json, "num_virtual_tokens", source);
        f.tokenDim = isNull(json, "token_dim") ? null : integer(json, "token_dim", source);
        f.numTransformerSubmodules = isNull(json, "num_transformer_submodules") ? null
                : integer(json, "num_transformer_submodules", source);
        f.numLayers = isNull(json, "num_layers") ? null : integer(json, "num_layers", source);
        f.numAttentionHeads = isNull(json, "num_attention_heads") ? null : integer(json, "num_attention_heads", source);
        f.taskType = string(json, "task_type", source);
        f.baseModelNameOrPath = string(json, "base_model_name_or_path", source);
        f.revision = string(json, "revision", source);
        if (!isNull(json, "inference_mode")) {
            JsonElement e = json.get("inference_mode");
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw new Peft4jException(source + ": inference_mode must be true or false, got " + e);
            }
            f.inferenceMode = e.getAsBoolean();
        }
        f.peftVersion = string(json, "peft_version", source);
        f.autoMapping = json.has("auto_mapping") ? json.get("auto_mapping").deepCopy() : JsonNull.INSTANCE;
        if (!isNull(json, "modules_to_save")) {
            JsonElement m = json.get("modules_to_save");
            if (!(m.isJsonArray() && m.getAsJsonArray().isEmpty())) {
                throw new Peft4jException(source + ": modules_to_save " + m
                        + " is not supported for prompt learning (peft4j trains only the virtual tokens)");
            }
        }
        return f;
    }

    /** Checks values as PEFT would use them. */
    void validate(String source) {
        if (numVirtualTokens == null) {
            throw new Peft4jException(source + ": num_virtual_tokens is required (the number of soft-prompt tokens)");
        }
        if (numVirtualTokens <= 0) {
            throw new Peft4jException(source + ": num_virtual_tokens must be a positive integer, got " + numVirtualTokens);
        }
        positive(source, "token_dim", tokenDim);
        positive(source, "num_layers", numLayers);
        positive(source, "num_attention_heads", numAttentionHeads);
        if (numTransformerSubmodules != null && numTransformerSubmodules != 1) {
            throw new Peft4jException(source + ": num_transformer_submodules is " + numTransformerSubmodules
                    + ", but peft4j's decoder-only models have 1 (2 is for encoder-decoder models)");
        }
        if (taskType != null && !taskType.equals(PromptTuningConfig.CAUSAL_LM)) {
            throw new Peft4jException(source + ": task_type '" + taskType + "' is not supported; peft4j runs decoder-only "
                    + "language models, so task_type must be " + PromptTuningConfig.CAUSAL_LM);
        }
    }

    static void positive(String source, String key, Integer value) {
        if (value != null && value <= 0) {
            throw new Peft4jException(source + ": " + key + " must be a positive integer, got " + value);
        }
    }

    /**
     * Fills what PEFT's {@code _prepare_prompt_learning_config} fills from the base model, and checks
     * that the rest fits it.
     */
    void fillFrom(AdapterContext context) {
        DecoderConfig dc = context.config();
        if (tokenDim != null && tokenDim != dc.hiddenSize()) {
            throw new Peft4jException("prompt-learning token_dim is " + tokenDim + " but the base model's hidden size is "
                    + dc.hiddenSize() + " (is this adapter for another base model?)");
        }
        if (numVirtualTokens != null && numVirtualTokens >= dc.maxPositions()) {
            throw new Peft4jException("num_virtual_tokens is " + numVirtualTokens + " but the base model's context holds "
                    + dc.maxPositions() + " positions, and the soft prompt takes " + numVirtualTokens
                    + " of them; use fewer virtual tokens");
        }
        warnIfDifferent("num_layers", numLayers, dc.numLayers());
        warnIfDifferent("num_attention_heads", numAttentionHeads, dc.numHeads());
        tokenDim = dc.hiddenSize();
        numTransformerSubmodules = 1;
        numLayers = numLayers == null ? dc.numLayers() : numLayers;
        numAttentionHeads = numAttentionHeads == null ? dc.numHeads() : numAttentionHeads;
        if (baseModelNameOrPath == null) {
            baseModelNameOrPath = baseName(context);
        }
    }

    private static void warnIfDifferent(String key, Integer configured, int base) {
        if (configured != null && configured != base) {
            LOG.warn("adapter config says {} = {} but the base model has {}; prompt learning does not use it, "
                    + "but the adapter may have been trained on another base model", key, configured, base);
        }
    }

    /** The base model directory's file name, which PEFT records as {@code base_model_name_or_path}. */
    static String baseName(AdapterContext context) {
        Path dir = context.modelDirectory().toAbsolutePath().normalize();
        return dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
    }

    /** Adds the shared keys as PEFT's {@code save_pretrained} writes them ({@code inference_mode} true). */
    void write(Map<String, JsonElement> m, String peftType) {
        m.put("auto_mapping", autoMapping.deepCopy());
        m.put("base_model_name_or_path", str(baseModelNameOrPath));
        m.put("inference_mode", new JsonPrimitive(true));
        m.put("modules_to_save", JsonNull.INSTANCE);
        m.put("num_attention_heads", num(numAttentionHeads));
        m.put("num_layers", num(numLayers));
        m.put("num_transformer_submodules", num(numTransformerSubmodules));
        m.put("num_virtual_tokens", num(numVirtualTokens));
        m.put("peft_type", new JsonPrimitive(peftType));
        m.put("peft_version", str(peftVersion == null ? PromptTuningConfig.PEFT_FORMAT_VERSION : peftVersion));
        m.put("revision", str(revision));
        m.put("task_type", new JsonPrimitive(PromptTuningConfig.CAUSAL_LM));
        m.put("token_dim", num(tokenDim));
    }

    static JsonObject sorted(Map<String, JsonElement> m) {
        JsonObject o = new JsonObject();
        new TreeMap<>(m).forEach(o::add);
        return o;
    }

    // ---- JSON helpers -------------------------------------------------------------------------

    static JsonElement str(String s) {
        return s == null ? JsonNull.INSTANCE : new JsonPrimitive(s);
    }

    static JsonElement num(Number n) {
        return n == null ? JsonNull.INSTANCE : new JsonPrimitive(n);
    }

    static boolean isNull(JsonObject json, String key) {
        return !json.has(key) || json.get(key).isJsonNull();
    }

    static String string(JsonObject json, String key, String source) {
        if (isNull(json, key)) {
            return null;
        }
        JsonElement e = json.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new Peft4jException(source + ": " + key + " must be a string, got " + e);
        }
        return e.getAsString();
    }

    static int integer(JsonObject json, String key, String source) {
        JsonElement e = json.get(key);
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double d = e.getAsDouble();
            if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
                return (int) d;
            }
        }
        throw new Peft4jException(source + ": " + key + " must be an integer, got " + e);
    }

    static double number(JsonObject json, String key, String source) {
        JsonElement e = json.get(key);
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            return e.getAsDouble();
        }
        throw new Peft4jException(source + ": " + key + " must be a number, got " + e);
    }
}
