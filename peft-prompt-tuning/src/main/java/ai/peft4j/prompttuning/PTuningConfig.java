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
 * The configuration of a P-tuning adapter (PEFT's {@code PromptEncoderConfig},
 * {@code peft_type} {@code P_TUNING}), with PEFT's key names and defaults, bound by
 * {@link PeftSchema}. PEFT saves the prompt encoder's output as {@code prompt_embeddings}, so a
 * saved P-tuning adapter runs as a fixed soft prompt; see {@link PTuningMethod}.
 *
 * <pre>{@code
 * PTuningConfig cfg = (PTuningConfig) PeftMethods.forType("P_TUNING").parseConfig(json, "adapter_config.json");
 * }</pre>
 *
 * @param common PEFT's common keys; {@code task_type} must be {@code CAUSAL_LM}
 * @param promptLearning the keys every prompt-learning method shares
 * @param encoderType {@code encoder_reparameterization_type} (default MLP)
 * @param encoderHiddenSize the encoder's hidden size, or null until filled from the base (token_dim)
 * @param encoderNumLayers {@code encoder_num_layers} (default 2)
 * @param encoderDropout {@code encoder_dropout} (default 0)
 */
public record PTuningConfig(
        PeftCommon common,
        PromptLearning promptLearning,
        @Key(value = "encoder_reparameterization_type", def = "\"MLP\"") EncoderType encoderType,
        @Key("encoder_hidden_size") Integer encoderHiddenSize,
        @Key(value = "encoder_num_layers", def = "2") int encoderNumLayers,
        @Key(value = "encoder_dropout", def = "0.0") double encoderDropout) implements PromptLearningConfig {

    public static final String PEFT_TYPE = "P_TUNING";

    private static final PeftSchema<PTuningConfig> SCHEMA = new PeftSchema<>(PTuningConfig.class, PEFT_TYPE,
            "PromptEncoderConfig", "peft4j's prompt learning trains only the virtual tokens");

    /** PEFT's {@code encoder_reparameterization_type}. */
    public enum EncoderType {
        MLP,
        LSTM
    }

    /** Validates as PEFT's {@code __post_init__} does. */
    public PTuningConfig {
        PromptLearning.requireCausalLm(common);
        Objects.requireNonNull(encoderType, "encoderType");
        PromptLearning.positive("encoder_hidden_size", encoderHiddenSize);
        PromptLearning.positive("encoder_num_layers", encoderNumLayers);
        if (!(encoderDropout >= 0 && encoderDropout < 1)) {
            throw new Peft4jException("encoder_dropout must be in [0, 1), got " + encoderDropout);
        }
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
     * Reads PEFT's JSON. Missing keys take PEFT's defaults (MLP, hidden size = token_dim, 2 layers,
     * dropout 0), unknown keys are ignored with a warning, and invalid values fail naming {@code source}.
     */
    public static PTuningConfig fromJson(JsonObject json, String source) {
        return SCHEMA.read(json, source);
    }

    /** This config with the fields PEFT fills from the base (encoder_hidden_size defaults to token_dim). */
    PTuningConfig filledFrom(AdapterContext context) {
        Builder b = PromptLearning.fill(toBuilder(), this, context);
        if (encoderHiddenSize == null) {
            b.set("encoder_hidden_size", context.config().hiddenSize());
        }
        return b.build();
    }

    /**
     * Builds a {@link PTuningConfig}: the prompt-learning setters, and {@link #set} by JSON key for
     * the encoder's ({@code set("encoder_num_layers", 3)}).
     */
    public static final class Builder extends PeftConfigBuilder<PTuningConfig, Builder> implements PromptLearning.Setters<Builder> {
        private Builder(PTuningConfig from) {
            super(SCHEMA, from);
        }
    }
}
