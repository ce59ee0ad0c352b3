package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.config.JsonCodec;
import ai.peft4j.api.config.JsonCodecs;
import com.google.gson.JsonPrimitive;
import com.google.gson.annotations.SerializedName;

/**
 * How a new soft prompt is initialised: PEFT's {@code prompt_tuning_init}, read case-insensitively.
 *
 * <pre>{@code
 * PromptTuningInit init = PromptTuningInit.parse("sample_vocab", "cli"); // SAMPLE_VOCAB
 * }</pre>
 */
public enum PromptTuningInit {
    /** Each value drawn from N(0, 1), like {@code torch.nn.Embedding}'s default init. */
    RANDOM,
    /** The word embeddings of {@code prompt_tuning_init_text}'s tokens, truncated or repeated. */
    TEXT,
    /**
     * The word embeddings of token ids drawn uniformly from the vocabulary. {@code RANDOM_DISCRETE},
     * the name an earlier PEFT release gave it, is read too.
     */
    @SerializedName(value = "SAMPLE_VOCAB", alternate = "RANDOM_DISCRETE")
    SAMPLE_VOCAB;

    private static final JsonCodec<PromptTuningInit> CODEC = JsonCodecs.enumOf(PromptTuningInit.class);

    /** Parses PEFT's value, as {@code adapter_config.json} is read; errors start with {@code source}. */
    public static PromptTuningInit parse(String value, String source) {
        try {
            return CODEC.read(new JsonPrimitive(value), "prompt_tuning_init");
        } catch (Peft4jException e) {
            throw new Peft4jException(source + ": " + e.getMessage(), e);
        }
    }
}
