package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import java.util.Arrays;
import java.util.Locale;

/** How a new soft prompt is initialised: PEFT's {@code prompt_tuning_init}. */
public enum PromptTuningInit {
    /** Each value drawn from N(0, 1), like {@code torch.nn.Embedding}'s default init. */
    RANDOM,
    /** The word embeddings of {@code prompt_tuning_init_text}'s tokens, truncated or repeated. */
    TEXT,
    /** The word embeddings of token ids drawn uniformly from the vocabulary. */
    SAMPLE_VOCAB;

    /**
     * Parses PEFT's value, case-insensitively. {@code RANDOM_DISCRETE}, the name an earlier PEFT
     * release gave to {@link #SAMPLE_VOCAB}, is accepted too.
     */
    public static PromptTuningInit parse(String value, String source) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        if (v.equals("RANDOM_DISCRETE")) {
            return SAMPLE_VOCAB;
        }
        for (PromptTuningInit i : values()) {
            if (i.name().equals(v)) {
                return i;
            }
        }
        throw new Peft4jException(source + ": prompt_tuning_init '" + value + "' is not one of "
                + Arrays.toString(values()));
    }
}
