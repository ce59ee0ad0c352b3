package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.method.PeftConfig;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The configuration of a P-tuning adapter (PEFT's {@code PromptEncoderConfig},
 * {@code peft_type} {@code P_TUNING}), with PEFT's key names and defaults. PEFT saves the prompt
 * encoder's output as {@code prompt_embeddings}, so a saved P-tuning adapter runs as a fixed soft
 * prompt; see {@link PTuningMethod}.
 *
 * <pre>{@code
 * PTuningConfig cfg = (PTuningConfig) PeftMethods.forType("P_TUNING").parseConfig(json, "adapter_config.json");
 * }</pre>
 */
public final class PTuningConfig implements PeftConfig {
    public static final String PEFT_TYPE = "P_TUNING";

    /** PEFT's {@code encoder_reparameterization_type}. */
    public enum EncoderType {
        MLP,
        LSTM
    }

    private static final Set<String> OWN_KEYS = Set.of("encoder_reparameterization_type", "encoder_hidden_size",
            "encoder_num_layers", "encoder_dropout");

    private final PromptLearningFields common;
    private final EncoderType encoderType;
    private final Integer encoderHiddenSize;
    private final int encoderNumLayers;
    private final double encoderDropout;

    private PTuningConfig(PromptLearningFields common, EncoderType encoderType, Integer encoderHiddenSize,
            int encoderNumLayers, double encoderDropout, String source) {
        common.validate(source);
        PromptLearningFields.positive(source, "encoder_hidden_size", encoderHiddenSize);
        PromptLearningFields.positive(source, "encoder_num_layers", encoderNumLayers);
        if (!(encoderDropout >= 0 && encoderDropout < 1)) {
            throw new Peft4jException(source + ": encoder_dropout must be in [0, 1), got " + encoderDropout);
        }
        this.common = common.copy();
        this.encoderType = Objects.requireNonNull(encoderType, "encoderType");
        this.encoderHiddenSize = encoderHiddenSize;
        this.encoderNumLayers = encoderNumLayers;
        this.encoderDropout = encoderDropout;
    }

    /**
     * Reads PEFT's JSON. Missing keys take PEFT's defaults (MLP, hidden size = token_dim, 2 layers,
     * dropout 0), unknown keys are ignored with a warning, and invalid values fail naming {@code source}.
     */
    public static PTuningConfig fromJson(JsonObject json, String source) {
        PromptLearningFields.warnUnknown(json, OWN_KEYS, source);
        PromptLearningFields common = PromptLearningFields.read(json, source, PEFT_TYPE);
        EncoderType type = EncoderType.MLP;
        String t = PromptLearningFields.string(json, "encoder_reparameterization_type", source);
        if (t != null) {
            try {
                type = EncoderType.valueOf(t.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new Peft4jException(source + ": encoder_reparameterization_type '" + t + "' is not MLP or LSTM");
            }
        }
        Integer hidden = PromptLearningFields.isNull(json, "encoder_hidden_size") ? null
                : PromptLearningFields.integer(json, "encoder_hidden_size", source);
        int layers = PromptLearningFields.isNull(json, "encoder_num_layers") ? 2
                : PromptLearningFields.integer(json, "encoder_num_layers", source);
        double dropout = PromptLearningFields.isNull(json, "encoder_dropout") ? 0.0
                : PromptLearningFields.number(json, "encoder_dropout", source);
        return new PTuningConfig(common, type, hidden, layers, dropout, source);
    }

    /** This config with the fields PEFT fills from the base (encoder_hidden_size defaults to token_dim). */
    PTuningConfig filledFrom(AdapterContext context) {
        PromptLearningFields c = common.copy();
        c.fillFrom(context);
        return new PTuningConfig(c, encoderType, encoderHiddenSize == null ? c.tokenDim : encoderHiddenSize,
                encoderNumLayers, encoderDropout, "P-tuning config");
    }

    /** The complete {@code adapter_config.json} object as PEFT's {@code save_pretrained} writes it. */
    @Override
    public JsonObject toJson() {
        Map<String, JsonElement> m = new HashMap<>();
        common.write(m, PEFT_TYPE);
        m.put("encoder_reparameterization_type", new JsonPrimitive(encoderType.name()));
        m.put("encoder_hidden_size", PromptLearningFields.num(encoderHiddenSize));
        m.put("encoder_num_layers", new JsonPrimitive(encoderNumLayers));
        m.put("encoder_dropout", new JsonPrimitive(encoderDropout));
        return PromptLearningFields.sorted(m);
    }

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    public int numVirtualTokens() {
        return common.numVirtualTokens;
    }

    /** PEFT's {@code inference_mode}: true for a saved adapter, the only kind peft4j runs. */
    public boolean inferenceMode() {
        return common.inferenceMode;
    }

    public EncoderType encoderType() {
        return encoderType;
    }

    /** The encoder's hidden size, or null until filled from the base (token_dim). */
    public Integer encoderHiddenSize() {
        return encoderHiddenSize;
    }

    public int encoderNumLayers() {
        return encoderNumLayers;
    }

    public double encoderDropout() {
        return encoderDropout;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PTuningConfig c && toJson().equals(c.toJson()) && inferenceMode() == c.inferenceMode();
    }

    @Override
    public int hashCode() {
        return Objects.hash(toJson(), inferenceMode());
    }

    @Override
    public String toString() {
        return "PTuningConfig" + toJson();
    }
}
