package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.config.Key;
import ai.peft4j.api.config.PeftCommon;
import ai.peft4j.api.config.PeftConfigBuilder;
import ai.peft4j.api.config.PeftSchema;
import ai.peft4j.api.method.AdapterContext;
import com.google.gson.JsonObject;
import java.util.Objects;

/**
 * The configuration of a prompt-tuning adapter, read from and written to
 * {@code adapter_config.json} with Hugging Face PEFT's {@code PromptTuningConfig} key names and
 * defaults, by {@link PeftSchema}: each component is one key (or an embedded record of keys).
 *
 * <p>{@code token_dim}, {@code num_layers}, {@code num_attention_heads},
 * {@code num_transformer_submodules} and {@code base_model_name_or_path} are filled from the base
 * model when the adapter is created, as PEFT does; leave them unset for a new adapter.
 *
 * <pre>{@code
 * PromptTuningConfig cfg = PromptTuningConfig.builder()
 *         .numVirtualTokens(20)
 *         .init(PromptTuningInit.TEXT)
 *         .initText("다음 글을 한 줄로 요약하세요:")
 *         .build();
 * model.addAdapter("summarize", cfg);
 * }</pre>
 *
 * @param common PEFT's common keys; {@code task_type} must be {@code CAUSAL_LM}
 * @param promptLearning the keys every prompt-learning method shares
 * @param init how a new soft prompt starts ({@code prompt_tuning_init}, default RANDOM)
 * @param initText the text a TEXT-initialised prompt starts from ({@code prompt_tuning_init_text}), or null
 * @param tokenizerNameOrPath the tokenizer for TEXT init (PEFT's name or path), or null for the base model's
 * @param tokenizerKwargs PEFT's {@code AutoTokenizer.from_pretrained} arguments; recorded, not used here
 */
public record PromptTuningConfig(
        PeftCommon common,
        PromptLearning promptLearning,
        @Key(value = "prompt_tuning_init", def = "\"RANDOM\"") PromptTuningInit init,
        @Key("prompt_tuning_init_text") String initText,
        @Key("tokenizer_name_or_path") String tokenizerNameOrPath,
        @Key("tokenizer_kwargs") JsonObject tokenizerKwargs) implements PromptLearningConfig {

    public static final String PEFT_TYPE = "PROMPT_TUNING";
    /** The only task peft4j's decoder-only models run. */
    public static final String CAUSAL_LM = PeftCommon.CAUSAL_LM;
    /** The PEFT release whose adapter format this writes; PEFT reads it as provenance only. */
    public static final String PEFT_FORMAT_VERSION = PeftCommon.PEFT_VERSION;

    private static final PeftSchema<PromptTuningConfig> SCHEMA = new PeftSchema<>(PromptTuningConfig.class, PEFT_TYPE,
            "PromptTuningConfig", "peft4j's prompt learning trains only the virtual tokens");

    /** Validates as PEFT's {@code __post_init__} does. */
    public PromptTuningConfig {
        PromptLearning.requireCausalLm(common);
        Objects.requireNonNull(init, "init");
        if (init == PromptTuningInit.TEXT && initText == null) {
            throw new Peft4jException("prompt_tuning_init is TEXT but prompt_tuning_init_text is missing; "
                    + "give the text the soft prompt starts from");
        }
        if (init == PromptTuningInit.TEXT && initText.isEmpty()) {
            throw new Peft4jException("prompt_tuning_init is TEXT but prompt_tuning_init_text is empty");
        }
        if (tokenizerKwargs != null && !tokenizerKwargs.isEmpty() && init != PromptTuningInit.TEXT) {
            throw new Peft4jException("tokenizer_kwargs only valid when using prompt_tuning_init='TEXT' (it is " + init + ")");
        }
        tokenizerKwargs = tokenizerKwargs == null ? null : tokenizerKwargs.deepCopy();
    }

    /** A builder holding PEFT's defaults; {@code num_virtual_tokens} is required. */
    public static Builder builder() {
        return new Builder(null);
    }

    /** A builder holding this config's values, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Reads PEFT's JSON. Missing keys take PEFT's defaults, unknown keys are ignored with a warning,
     * and invalid values fail with a message naming {@code source}.
     */
    public static PromptTuningConfig fromJson(JsonObject json, String source) {
        return SCHEMA.read(json, source);
    }

    /** This config with the fields PEFT fills from the base model filled (see {@link PromptTuningMethod}). */
    PromptTuningConfig filledFrom(AdapterContext context) {
        Builder b = PromptLearning.fill(toBuilder(), this, context);
        if (init == PromptTuningInit.TEXT && tokenizerNameOrPath == null) {
            b.tokenizerNameOrPath(PromptLearning.baseName(context)); // PEFT requires a tokenizer name for TEXT
        }
        return b.build();
    }

    /** PEFT's {@code AutoTokenizer.from_pretrained} arguments (a copy); recorded, not used here. */
    @Override
    public JsonObject tokenizerKwargs() {
        return tokenizerKwargs == null ? null : tokenizerKwargs.deepCopy();
    }

    /** Builds a {@link PromptTuningConfig}; {@link #build()} validates as PEFT's {@code __post_init__} does. */
    public static final class Builder extends PeftConfigBuilder<PromptTuningConfig, Builder>
            implements PromptLearning.Setters<Builder> {
        private Builder(PromptTuningConfig from) {
            super(SCHEMA, from);
        }

        public Builder init(PromptTuningInit init) {
            return set("prompt_tuning_init", Objects.requireNonNull(init, "init"));
        }

        /** The text a TEXT init starts from (required with {@link PromptTuningInit#TEXT}). */
        public Builder initText(String text) {
            return set("prompt_tuning_init_text", text);
        }

        /**
         * The tokenizer for TEXT init: a directory or {@code tokenizer.json} path, or the base
         * model's when unset (it is then recorded as the base model's name, as PEFT needs one).
         */
        public Builder tokenizerNameOrPath(String nameOrPath) {
            return set("tokenizer_name_or_path", nameOrPath);
        }

        /** PEFT's tokenizer arguments (TEXT init only); recorded in the file, not used here. */
        public Builder tokenizerKwargs(JsonObject kwargs) {
            return set("tokenizer_kwargs", kwargs == null ? null : kwargs.deepCopy());
        }
    }
}
