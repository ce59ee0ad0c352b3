package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.PeftConfig;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration of a prompt-tuning adapter, read from and written to
 * {@code adapter_config.json} with Hugging Face PEFT's {@code PromptTuningConfig} key names and
 * defaults.
 *
 * <p>{@code token_dim}, {@code num_layers}, {@code num_attention_heads},
 * {@code num_transformer_submodules} and {@code base_model_name_or_path} are filled from the base
 * model when the adapter is created, as PEFT does; leave them unset for a new adapter.
 *
 * <pre>{@code
 * PromptTuningConfig cfg = PromptTuningConfig.builder()
 *         .setNumVirtualTokens(20)
 *         .optInit(PromptTuningInit.TEXT)
 *         .optInitText("다음 글을 한 줄로 요약하세요:")
 *         .build();
 * model.addAdapter("summarize", cfg);
 * }</pre>
 */
public final class PromptTuningConfig implements PeftConfig {
    public static final String PEFT_TYPE = "PROMPT_TUNING";
    /** The only task peft4j's decoder-only models run. */
    public static final String CAUSAL_LM = "CAUSAL_LM";
    /** The PEFT release whose adapter format this writes; PEFT reads it as provenance only. */
    public static final String PEFT_FORMAT_VERSION = "0.21.0";

    private static final Logger LOG = LoggerFactory.getLogger(PromptTuningConfig.class);
    private static final Set<String> KNOWN_KEYS = Set.of("peft_type", "task_type", "auto_mapping",
            "base_model_name_or_path", "revision", "inference_mode", "peft_version", "modules_to_save",
            "num_virtual_tokens", "token_dim", "num_transformer_submodules", "num_attention_heads", "num_layers",
            "prompt_tuning_init", "prompt_tuning_init_text", "tokenizer_name_or_path", "tokenizer_kwargs");

    private final int numVirtualTokens;
    private final PromptTuningInit init;
    private final String initText;
    private final String tokenizerNameOrPath;
    private final JsonObject tokenizerKwargs;
    private final Integer tokenDim;
    private final Integer numTransformerSubmodules;
    private final Integer numLayers;
    private final Integer numAttentionHeads;
    private final String baseModelNameOrPath;
    private final String revision;
    private final boolean inferenceMode;
    private final String peftVersion;
    private final JsonElement autoMapping;

    private PromptTuningConfig(Builder b) {
        this.numVirtualTokens = b.numVirtualTokens;
        this.init = b.init;
        this.initText = b.initText;
        this.tokenizerNameOrPath = b.tokenizerNameOrPath;
        this.tokenizerKwargs = b.tokenizerKwargs == null ? null : b.tokenizerKwargs.deepCopy();
        this.tokenDim = b.tokenDim;
        this.numTransformerSubmodules = b.numTransformerSubmodules;
        this.numLayers = b.numLayers;
        this.numAttentionHeads = b.numAttentionHeads;
        this.baseModelNameOrPath = b.baseModelNameOrPath;
        this.revision = b.revision;
        this.inferenceMode = b.inferenceMode;
        this.peftVersion = b.peftVersion;
        this.autoMapping = b.autoMapping == null ? JsonNull.INSTANCE : b.autoMapping.deepCopy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.numVirtualTokens = numVirtualTokens;
        b.init = init;
        b.initText = initText;
        b.tokenizerNameOrPath = tokenizerNameOrPath;
        b.tokenizerKwargs = tokenizerKwargs;
        b.tokenDim = tokenDim;
        b.numTransformerSubmodules = numTransformerSubmodules;
        b.numLayers = numLayers;
        b.numAttentionHeads = numAttentionHeads;
        b.baseModelNameOrPath = baseModelNameOrPath;
        b.revision = revision;
        b.inferenceMode = inferenceMode;
        b.peftVersion = peftVersion;
        b.autoMapping = autoMapping;
        return b;
    }

    // ---- JSON ---------------------------------------------------------------------------------

    /**
     * Reads PEFT's JSON. Missing keys take PEFT's defaults, unknown keys are ignored with a warning,
     * and invalid values fail with a message naming {@code source}.
     */
    public static PromptTuningConfig fromJson(JsonObject json, String source) {
        List<String> unknown = new ArrayList<>();
        for (String key : json.keySet()) {
            if (!KNOWN_KEYS.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            unknown.sort(null);
            LOG.warn("{}: ignoring unknown prompt-tuning config keys {} (written by a newer PEFT?)", source, unknown);
        }
        String peftType = string(json, "peft_type", source);
        if (peftType != null && !peftType.equals(PEFT_TYPE)) {
            throw new Peft4jException(source + ": peft_type is '" + peftType + "', not " + PEFT_TYPE);
        }
        Builder b = builder().source(source);
        if (!isNull(json, "num_virtual_tokens")) {
            b.numVirtualTokens = integer(json, "num_virtual_tokens", source);
        }
        String initName = string(json, "prompt_tuning_init", source);
        if (initName != null) {
            b.init = PromptTuningInit.parse(initName, source);
        }
        b.initText = string(json, "prompt_tuning_init_text", source);
        b.tokenizerNameOrPath = string(json, "tokenizer_name_or_path", source);
        if (!isNull(json, "tokenizer_kwargs")) {
            if (!json.get("tokenizer_kwargs").isJsonObject()) {
                throw new Peft4jException(source + ": tokenizer_kwargs must be an object, got " + json.get("tokenizer_kwargs"));
            }
            b.tokenizerKwargs = json.getAsJsonObject("tokenizer_kwargs");
        }
        b.tokenDim = isNull(json, "token_dim") ? null : integer(json, "token_dim", source);
        b.numTransformerSubmodules = isNull(json, "num_transformer_submodules") ? null
                : integer(json, "num_transformer_submodules", source);
        b.numLayers = isNull(json, "num_layers") ? null : integer(json, "num_layers", source);
        b.numAttentionHeads = isNull(json, "num_attention_heads") ? null : integer(json, "num_attention_heads", source);
        b.taskType = string(json, "task_type", source);
        b.baseModelNameOrPath = string(json, "base_model_name_or_path", source);
        b.revision = string(json, "revision", source);
        if (!isNull(json, "inference_mode")) {
            JsonElement e = json.get("inference_mode");
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw new Peft4jException(source + ": inference_mode must be true or false, got " + e);
            }
            b.inferenceMode = e.getAsBoolean();
        }
        b.peftVersion = string(json, "peft_version", source);
        b.autoMapping = json.get("auto_mapping");
        if (!isNull(json, "modules_to_save")) {
            JsonElement m = json.get("modules_to_save");
            if (!(m.isJsonArray() && m.getAsJsonArray().isEmpty())) {
                throw new Peft4jException(source + ": modules_to_save " + m
                        + " is not supported for prompt tuning (peft4j trains only the soft prompt)");
            }
        }
        return b.build();
    }

    /**
     * The complete {@code adapter_config.json} object as PEFT's {@code save_pretrained} writes it:
     * keys sorted, unset values as {@code null}, and {@code inference_mode} true.
     */
    @Override
    public JsonObject toJson() {
        Map<String, JsonElement> m = new TreeMap<>();
        m.put("auto_mapping", autoMapping.deepCopy());
        m.put("base_model_name_or_path", str(baseModelNameOrPath));
        m.put("inference_mode", new JsonPrimitive(true));
        m.put("modules_to_save", JsonNull.INSTANCE);
        m.put("num_attention_heads", num(numAttentionHeads));
        m.put("num_layers", num(numLayers));
        m.put("num_transformer_submodules", num(numTransformerSubmodules));
        m.put("num_virtual_tokens", new JsonPrimitive(numVirtualTokens));
        m.put("peft_type", new JsonPrimitive(PEFT_TYPE));
        m.put("peft_version", str(peftVersion == null ? PEFT_FORMAT_VERSION : peftVersion));
        m.put("prompt_tuning_init", new JsonPrimitive(init.name()));
        m.put("prompt_tuning_init_text", str(initText));
        m.put("revision", str(revision));
        m.put("task_type", new JsonPrimitive(CAUSAL_LM));
        m.put("token_dim", num(tokenDim));
        m.put("tokenizer_kwargs", tokenizerKwargs == null ? JsonNull.INSTANCE : tokenizerKwargs.deepCopy());
        m.put("tokenizer_name_or_path", str(tokenizerNameOrPath));
        JsonObject o = new JsonObject();
        m.forEach(o::add);
        return o;
    }

    private static JsonElement str(String s) {
        return s == null ? JsonNull.INSTANCE : new JsonPrimitive(s);
    }

    private static JsonElement num(Integer i) {
        return i == null ? JsonNull.INSTANCE : new JsonPrimitive(i);
    }

    private static boolean isNull(JsonObject json, String key) {
        return !json.has(key) || json.get(key).isJsonNull();
    }

    private static String string(JsonObject json, String key, String source) {
        if (isNull(json, key)) {
            return null;
        }
        JsonElement e = json.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new Peft4jException(source + ": " + key + " must be a string, got " + e);
        }
        return e.getAsString();
    }

    private static int integer(JsonObject json, String key, String source) {
        JsonElement e = json.get(key);
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double d = e.getAsDouble();
            if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
                return (int) d;
            }
        }
        throw new Peft4jException(source + ": " + key + " must be an integer, got " + e);
    }

    // ---- values -------------------------------------------------------------------------------

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    public int numVirtualTokens() {
        return numVirtualTokens;
    }

    public PromptTuningInit init() {
        return init;
    }

    /** The text a TEXT-initialised prompt starts from, or null. */
    public String initText() {
        return initText;
    }

    /** The tokenizer for TEXT init (PEFT's name or path), or null for the base model's. */
    public String tokenizerNameOrPath() {
        return tokenizerNameOrPath;
    }

    /** PEFT's {@code AutoTokenizer.from_pretrained} arguments; recorded, not used here. */
    public JsonObject tokenizerKwargs() {
        return tokenizerKwargs == null ? null : tokenizerKwargs.deepCopy();
    }

    /** The base model's hidden size, or null until filled from the base. */
    public Integer tokenDim() {
        return tokenDim;
    }

    /** 1 for a decoder-only model, or null until filled from the base. */
    public Integer numTransformerSubmodules() {
        return numTransformerSubmodules;
    }

    public Integer numLayers() {
        return numLayers;
    }

    public Integer numAttentionHeads() {
        return numAttentionHeads;
    }

    public String taskType() {
        return CAUSAL_LM;
    }

    public String baseModelNameOrPath() {
        return baseModelNameOrPath;
    }

    public String revision() {
        return revision;
    }

    /**
     * PEFT's {@code inference_mode}: when true, a new adapter is not initialised from text or the
     * vocabulary (it is about to be overwritten by saved weights). Saved configs always say true.
     */
    public boolean inferenceMode() {
        return inferenceMode;
    }

    public String peftVersion() {
        return peftVersion;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PromptTuningConfig c && toJson().equals(c.toJson()) && inferenceMode == c.inferenceMode;
    }

    @Override
    public int hashCode() {
        return Objects.hash(toJson(), inferenceMode);
    }

    @Override
    public String toString() {
        return "PromptTuningConfig" + toJson();
    }

    /** Builds a {@link PromptTuningConfig}; {@link #build()} validates as PEFT's {@code __post_init__} does. */
    public static final class Builder {
        private String source = "PromptTuningConfig";
        private Integer numVirtualTokens;
        private PromptTuningInit init = PromptTuningInit.RANDOM;
        private String initText;
        private String tokenizerNameOrPath;
        private JsonObject tokenizerKwargs;
        private Integer tokenDim;
        private Integer numTransformerSubmodules;
        private Integer numLayers;
        private Integer numAttentionHeads;
        private String taskType;
        private String baseModelNameOrPath;
        private String revision;
        private boolean inferenceMode;
        private String peftVersion;
        private JsonElement autoMapping;

        private Builder() {}

        /** Where the values come from, for error messages. */
        public Builder source(String source) {
            this.source = source;
            return this;
        }

        /** The soft prompt's length (required). */
        public Builder setNumVirtualTokens(int n) {
            this.numVirtualTokens = n;
            return this;
        }

        public Builder optInit(PromptTuningInit init) {
            this.init = Objects.requireNonNull(init, "init");
            return this;
        }

        /** The text a TEXT init starts from (required with {@link PromptTuningInit#TEXT}). */
        public Builder optInitText(String text) {
            this.initText = text;
            return this;
        }

        /**
         * The tokenizer for TEXT init: a directory or {@code tokenizer.json} path, or the base
         * model's when unset (it is then recorded as the base model's name, as PEFT needs one).
         */
        public Builder optTokenizerNameOrPath(String nameOrPath) {
            this.tokenizerNameOrPath = nameOrPath;
            return this;
        }

        /** PEFT's tokenizer arguments (TEXT init only); recorded in the file, not used here. */
        public Builder optTokenizerKwargs(JsonObject kwargs) {
            this.tokenizerKwargs = kwargs;
            return this;
        }

        public Builder optTokenDim(Integer tokenDim) {
            this.tokenDim = tokenDim;
            return this;
        }

        public Builder optNumTransformerSubmodules(Integer n) {
            this.numTransformerSubmodules = n;
            return this;
        }

        public Builder optNumLayers(Integer n) {
            this.numLayers = n;
            return this;
        }

        public Builder optNumAttentionHeads(Integer n) {
            this.numAttentionHeads = n;
            return this;
        }

        /** PEFT's {@code task_type}; only {@code CAUSAL_LM} (the default here) is supported. */
        public Builder optTaskType(String taskType) {
            this.taskType = taskType;
            return this;
        }

        public Builder optBaseModelNameOrPath(String name) {
            this.baseModelNameOrPath = name;
            return this;
        }

        public Builder optRevision(String revision) {
            this.revision = revision;
            return this;
        }

        public Builder optInferenceMode(boolean inferenceMode) {
            this.inferenceMode = inferenceMode;
            return this;
        }

        public Builder optPeftVersion(String version) {
            this.peftVersion = version;
            return this;
        }

        public PromptTuningConfig build() {
            if (numVirtualTokens == null) {
                throw new Peft4jException(source + ": num_virtual_tokens is required (the number of soft-prompt tokens)");
            }
            if (numVirtualTokens <= 0) {
                throw new Peft4jException(source + ": num_virtual_tokens must be a positive integer, got " + numVirtualTokens);
            }
            if (init == PromptTuningInit.TEXT && initText == null) {
                throw new Peft4jException(source + ": prompt_tuning_init is TEXT but prompt_tuning_init_text is missing; "
                        + "give the text the soft prompt starts from");
            }
            if (init == PromptTuningInit.TEXT && initText.isEmpty()) {
                throw new Peft4jException(source + ": prompt_tuning_init is TEXT but prompt_tuning_init_text is empty");
            }
            if (tokenizerKwargs != null && !tokenizerKwargs.isEmpty() && init != PromptTuningInit.TEXT) {
                throw new Peft4jException(source + ": tokenizer_kwargs only valid when using prompt_tuning_init='TEXT' (it is "
                        + init + ")");
            }
            positive("token_dim", tokenDim);
            positive("num_layers", numLayers);
            positive("num_attention_heads", numAttentionHeads);
            if (numTransformerSubmodules != null && numTransformerSubmodules != 1) {
                throw new Peft4jException(source + ": num_transformer_submodules is " + numTransformerSubmodules
                        + ", but peft4j's decoder-only models have 1 (2 is for encoder-decoder models)");
            }
            if (taskType != null && !taskType.equals(CAUSAL_LM)) {
                throw new Peft4jException(source + ": task_type '" + taskType + "' is not supported; peft4j runs decoder-only "
                        + "language models, so task_type must be " + CAUSAL_LM);
            }
            return new PromptTuningConfig(this);
        }

        private void positive(String key, Integer value) {
            if (value != null && value <= 0) {
                throw new Peft4jException(source + ": " + key + " must be a positive integer, got " + value);
            }
        }
    }
}
