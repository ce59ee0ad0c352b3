package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.method.PeftConfig;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

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

    private static final Set<String> OWN_KEYS = Set.of("prompt_tuning_init", "prompt_tuning_init_text",
            "tokenizer_name_or_path", "tokenizer_kwargs");

    private final PromptLearningFields common;
    private final PromptTuningInit init;
    private final String initText;
    private final String tokenizerNameOrPath;
    private final JsonObject tokenizerKwargs;

    private PromptTuningConfig(Builder b) {
        this.common = b.common.copy();
        this.init = b.init;
        this.initText = b.initText;
        this.tokenizerNameOrPath = b.tokenizerNameOrPath;
        this.tokenizerKwargs = b.tokenizerKwargs == null ? null : b.tokenizerKwargs.deepCopy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.common = common.copy();
        b.init = init;
        b.initText = initText;
        b.tokenizerNameOrPath = tokenizerNameOrPath;
        b.tokenizerKwargs = tokenizerKwargs;
        return b;
    }

    /** This config with the fields PEFT fills from the base model filled (see {@link PromptTuningMethod}). */
    PromptTuningConfig filledFrom(AdapterContext context) {
        Builder b = toBuilder();
        b.common.fillFrom(context);
        if (init == PromptTuningInit.TEXT && tokenizerNameOrPath == null) {
            b.tokenizerNameOrPath = PromptLearningFields.baseName(context); // PEFT requires a tokenizer name for TEXT
        }
        return b.build();
    }

    // ---- JSON ---------------------------------------------------------------------------------

    /**
     * Reads PEFT's JSON. Missing keys take PEFT's defaults, unknown keys are ignored with a warning,
     * and invalid values fail with a message naming {@code source}.
     */
    public static PromptTuningConfig fromJson(JsonObject json, String source) {
        PromptLearningFields.warnUnknown(json, OWN_KEYS, source);
        Builder b = builder().source(source);
        b.common = PromptLearningFields.read(json, source, PEFT_TYPE);
        String initName = PromptLearningFields.string(json, "prompt_tuning_init", source);
        if (initName != null) {
            b.init = PromptTuningInit.parse(initName, source);
        }
        b.initText = PromptLearningFields.string(json, "prompt_tuning_init_text", source);
        b.tokenizerNameOrPath = PromptLearningFields.string(json, "tokenizer_name_or_path", source);
        if (!PromptLearningFields.isNull(json, "tokenizer_kwargs")) {
            if (!json.get("tokenizer_kwargs").isJsonObject()) {
                throw new Peft4jException(source + ": tokenizer_kwargs must be an object, got " + json.get("tokenizer_kwargs"));
            }
            b.tokenizerKwargs = json.getAsJsonObject("tokenizer_kwargs");
        }
        return b.build();
    }

    /**
     * The complete {@code adapter_config.json} object as PEFT's {@code save_pretrained} writes it:
     * keys sorted, unset values as {@code null}, and {@code inference_mode} true.
     */
    @Override
    public JsonObject toJson() {
        Map<String, JsonElement> m = new HashMap<>();
        common.write(m, PEFT_TYPE);
        m.put("prompt_tuning_init", new JsonPrimitive(init.name()));
        m.put("prompt_tuning_init_text", PromptLearningFields.str(initText));
        m.put("tokenizer_kwargs", tokenizerKwargs == null ? JsonNull.INSTANCE : tokenizerKwargs.deepCopy());
        m.put("tokenizer_name_or_path", PromptLearningFields.str(tokenizerNameOrPath));
        return PromptLearningFields.sorted(m);
    }

    // ---- values -------------------------------------------------------------------------------

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    public int numVirtualTokens() {
        return common.numVirtualTokens;
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
        return common.tokenDim;
    }

    /** 1 for a decoder-only model, or null until filled from the base. */
    public Integer numTransformerSubmodules() {
        return common.numTransformerSubmodules;
    }

    public Integer numLayers() {
        return common.numLayers;
    }

    public Integer numAttentionHeads() {
        return common.numAttentionHeads;
    }

    public String taskType() {
        return CAUSAL_LM;
    }

    public String baseModelNameOrPath() {
        return common.baseModelNameOrPath;
    }

    public String revision() {
        return common.revision;
    }

    /**
     * PEFT's {@code inference_mode}: when true, a new adapter is not initialised from text or the
     * vocabulary (it is about to be overwritten by saved weights). Saved configs always say true.
     */
    public boolean inferenceMode() {
        return common.inferenceMode;
    }

    public String peftVersion() {
        return common.peftVersion;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PromptTuningConfig c && toJson().equals(c.toJson()) && inferenceMode() == c.inferenceMode();
    }

    @Override
    public int hashCode() {
        return Objects.hash(toJson(), inferenceMode());
    }

    @Override
    public String toString() {
        return "PromptTuningConfig" + toJson();
    }

    /** Builds a {@link PromptTuningConfig}; {@link #build()} validates as PEFT's {@code __post_init__} does. */
    public static final class Builder {
        private String source = "PromptTuningConfig";
        private PromptLearningFields common = new PromptLearningFields();
        private PromptTuningInit init = PromptTuningInit.RANDOM;
        private String initText;
        private String tokenizerNameOrPath;
        private JsonObject tokenizerKwargs;

        private Builder() {}

        /** Where the values come from, for error messages. */
        public Builder source(String source) {
            this.source = source;
            return this;
        }

        /** The soft prompt's length (required). */
        public Builder setNumVirtualTokens(int n) {
            common.numVirtualTokens = n;
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
            common.tokenDim = tokenDim;
            return this;
        }

        public Builder optNumTransformerSubmodules(Integer n) {
            common.numTransformerSubmodules = n;
            return this;
        }

        public Builder optNumLayers(Integer n) {
            common.numLayers = n;
            return this;
        }

        public Builder optNumAttentionHeads(Integer n) {
            common.numAttentionHeads = n;
            return this;
        }

        /** PEFT's {@code task_type}; only {@code CAUSAL_LM} (the default here) is supported. */
        public Builder optTaskType(String taskType) {
            common.taskType = taskType;
            return this;
        }

        public Builder optBaseModelNameOrPath(String name) {
            common.baseModelNameOrPath = name;
            return this;
        }

        public Builder optRevision(String revision) {
            common.revision = revision;
            return this;
        }

        public Builder optInferenceMode(boolean inferenceMode) {
            common.inferenceMode = inferenceMode;
            return this;
        }

        public Builder optPeftVersion(String version) {
            common.peftVersion = version;
            return this;
        }

        public PromptTuningConfig build() {
            common.validate(source);
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
            return new PromptTuningConfig(this);
        }
    }
}
