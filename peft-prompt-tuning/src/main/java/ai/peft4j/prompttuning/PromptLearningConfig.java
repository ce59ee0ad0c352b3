package ai.peft4j.prompttuning;

import ai.peft4j.api.config.PeftAdapterConfig;

/**
 * A prompt-learning config ({@link PromptTuningConfig}, {@link PTuningConfig}): one that embeds
 * the shared {@link PromptLearning} keys, read here.
 *
 * <pre>{@code
 * PromptLearningConfig cfg = (PromptLearningConfig) model.adapter("pt").config();
 * int n = cfg.numVirtualTokens();
 * }</pre>
 */
public interface PromptLearningConfig extends PeftAdapterConfig {

    /** The shared prompt-learning keys. */
    PromptLearning promptLearning();

    /** The soft prompt's length. */
    default int numVirtualTokens() {
        return promptLearning().numVirtualTokens();
    }

    /** The base model's hidden size, or null until filled from the base. */
    default Integer tokenDim() {
        return promptLearning().tokenDim();
    }

    /** 1 for a decoder-only model, or null until filled from the base. */
    default Integer numTransformerSubmodules() {
        return promptLearning().numTransformerSubmodules();
    }

    /** The base model's layer count, or null until filled from the base. */
    default Integer numLayers() {
        return promptLearning().numLayers();
    }

    /** The base model's head count, or null until filled from the base. */
    default Integer numAttentionHeads() {
        return promptLearning().numAttentionHeads();
    }
}
