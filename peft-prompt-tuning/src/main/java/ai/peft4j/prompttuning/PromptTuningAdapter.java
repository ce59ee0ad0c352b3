package ai.peft4j.prompttuning;

import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.InputHook;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;
import java.util.Map;

/**
 * A soft prompt: {@code num_virtual_tokens} trainable embeddings prepended to the token embeddings
 * of every sequence, exactly as PEFT's {@code PeftModelForCausalLM} does. The runtime prefixes the
 * attention mask with ones and the labels with -100; the only saved tensor is
 * {@code prompt_embeddings [num_virtual_tokens, hidden]} (fp32).
 *
 * <pre>{@code
 * PromptTuningAdapter a = (PromptTuningAdapter) model.addAdapter("default", config);
 * HostTensor prompt = model.runtime().parameters().get(a.promptKey());
 * }</pre>
 */
public final class PromptTuningAdapter implements Adapter {
    /** The tensor key in {@code adapter_model.safetensors}. */
    public static final String STATE_KEY = "prompt_embeddings";

    private final String name;
    private final PromptTuningConfig config;
    private final String promptKey;
    private final int hidden;

    PromptTuningAdapter(String name, PromptTuningConfig config, String promptKey, int hidden) {
        this.name = name;
        this.config = config;
        this.promptKey = promptKey;
        this.hidden = hidden;
    }

    @Override
    public String name() {
        return name;
    }

    /** The config with the fields PEFT fills from the base model filled in. */
    @Override
    public PromptTuningConfig config() {
        return config;
    }

    /** The parameter-store key of the prompt embeddings. */
    public String promptKey() {
        return promptKey;
    }

    public int numVirtualTokens() {
        return config.numVirtualTokens();
    }

    @Override
    public Map<String, String> stateKeys() {
        return Map.of(STATE_KEY, promptKey);
    }

    @Override
    public Map<String, long[]> stateShapes() {
        return Map.of(STATE_KEY, new long[] {config.numVirtualTokens(), hidden});
    }

    /**
     * Adds the soft-prompt hook. In a mixed-adapter batch ({@code perRow}) the hook is added as
     * well; {@link ai.peft4j.api.peft.PeftModel} refuses such batches because rows would need
     * different prefix lengths.
     */
    @Override
    public void addHooks(HookSet.Builder hooks, boolean perRow) {
        hooks.input(new SoftPrompt(promptKey, config.numVirtualTokens()));
    }

    @Override
    public String toString() {
        return "PromptTuningAdapter[" + name + ", " + config.numVirtualTokens() + " virtual tokens]";
    }

    /** Prepends the prompt; symbolic-safe (no tensor values are read). */
    private record SoftPrompt(String key, int length) implements InputHook {
        @Override
        public int prefixLength() {
            return length;
        }

        @Override
        public Tensor apply(ForwardContext ctx, Tensor embeddings) {
            Ops ops = ctx.ops();
            return ops.concatSeq(ops.broadcastBatch(ops.param(key)), embeddings);
        }
    }
}
