package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.config.Key;
import ai.peft4j.api.config.PeftCommon;
import ai.peft4j.api.config.PeftConfigBuilder;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.model.DecoderConfig;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys every PEFT prompt-learning config shares (PEFT's {@code PromptLearningConfig}),
 * declared once and embedded by {@link PromptTuningConfig} and {@link PTuningConfig} as their
 * {@code promptLearning} component. Everything but {@code num_virtual_tokens} is filled from the
 * base model when the adapter is created, as PEFT does.
 *
 * <pre>{@code
 * PromptTuningConfig cfg = PromptTuningConfig.builder().numVirtualTokens(8).build();
 * Integer dim = cfg.promptLearning().tokenDim(); // null until filled from the base model
 * }</pre>
 *
 * @param numVirtualTokens the soft prompt's length (required, positive)
 * @param tokenDim the base model's hidden size
 * @param numTransformerSubmodules 1 for a decoder-only model
 * @param numAttentionHeads the base model's head count (recorded, not used)
 * @param numLayers the base model's layer count (recorded, not used)
 */
public record PromptLearning(
        @Key("num_virtual_tokens") Integer numVirtualTokens,
        @Key("token_dim") Integer tokenDim,
        @Key("num_transformer_submodules") Integer numTransformerSubmodules,
        @Key("num_attention_heads") Integer numAttentionHeads,
        @Key("num_layers") Integer numLayers) {

    private static final Logger LOG = LoggerFactory.getLogger(PromptLearning.class);

    /** Checks values as PEFT would use them. */
    public PromptLearning {
        if (numVirtualTokens == null) {
            throw new Peft4jException("num_virtual_tokens is required (the number of soft-prompt tokens)");
        }
        if (numVirtualTokens <= 0) {
            throw new Peft4jException("num_virtual_tokens must be a positive integer, got " + numVirtualTokens);
        }
        positive("token_dim", tokenDim);
        positive("num_layers", numLayers);
        positive("num_attention_heads", numAttentionHeads);
        if (numTransformerSubmodules != null && numTransformerSubmodules != 1) {
            throw new Peft4jException("num_transformer_submodules is " + numTransformerSubmodules
                    + ", but peft4j's decoder-only models have 1 (2 is for encoder-decoder models)");
        }
    }

    static void positive(String key, Integer value) {
        if (value != null && value <= 0) {
            throw new Peft4jException(key + " must be a positive integer, got " + value);
        }
    }

    /** Prompt learning runs decoder-only language models only: PEFT's other tasks are refused, not kept. */
    static void requireCausalLm(PeftCommon common) {
        if (!common.taskType().equals(PeftCommon.CAUSAL_LM)) {
            throw new Peft4jException("task_type '" + common.taskType() + "' is not supported; peft4j runs decoder-only "
                    + "language models, so task_type must be " + PeftCommon.CAUSAL_LM);
        }
    }

    /**
     * Fills what PEFT's {@code _prepare_prompt_learning_config} fills from the base model (these keys
     * and {@code base_model_name_or_path}) into {@code b}, after checking that the rest fits it.
     */
    static <B extends PeftConfigBuilder<?, B>> B fill(B b, PromptLearningConfig cfg, AdapterContext context) {
        PromptLearning p = cfg.promptLearning();
        DecoderConfig dc = context.config();
        if (p.tokenDim != null && p.tokenDim != dc.hiddenSize()) {
            throw new Peft4jException("prompt-learning token_dim is " + p.tokenDim + " but the base model's hidden size is "
                    + dc.hiddenSize() + " (is this adapter for another base model?)");
        }
        if (p.numVirtualTokens >= dc.maxPositions()) {
            throw new Peft4jException("num_virtual_tokens is " + p.numVirtualTokens + " but the base model's context holds "
                    + dc.maxPositions() + " positions, and the soft prompt takes " + p.numVirtualTokens
                    + " of them; use fewer virtual tokens");
        }
        warnIfDifferent("num_layers", p.numLayers, dc.numLayers());
        warnIfDifferent("num_attention_heads", p.numAttentionHeads, dc.numHeads());
        b.with(new PromptLearning(p.numVirtualTokens, dc.hiddenSize(), 1,
                p.numAttentionHeads == null ? dc.numHeads() : p.numAttentionHeads,
                p.numLayers == null ? dc.numLayers() : p.numLayers));
        if (cfg.baseModelNameOrPath() == null) {
            b.baseModelNameOrPath(baseName(context));
        }
        return b;
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

    /**
     * The setters of these keys, for a prompt-learning config's builder.
     *
     * <pre>{@code
     * PromptTuningConfig.builder().numVirtualTokens(20).build();
     * }</pre>
     *
     * @param <B> the concrete builder
     */
    public interface Setters<B> {
        /** {@link PeftConfigBuilder#set}. */
        B set(String key, Object value);

        /** The soft prompt's length (required). */
        default B numVirtualTokens(int n) {
            return set("num_virtual_tokens", n);
        }

        /** The base model's hidden size; leave unset for a new adapter. */
        default B tokenDim(Integer tokenDim) {
            return set("token_dim", tokenDim);
        }

        /** 1 for a decoder-only model; leave unset for a new adapter. */
        default B numTransformerSubmodules(Integer n) {
            return set("num_transformer_submodules", n);
        }

        /** The base model's layer count; leave unset for a new adapter. */
        default B numLayers(Integer n) {
            return set("num_layers", n);
        }

        /** The base model's head count; leave unset for a new adapter. */
        default B numAttentionHeads(Integer n) {
            return set("num_attention_heads", n);
        }
    }
}
