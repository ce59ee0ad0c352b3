package ai.peft4j.prompttuning;

import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.InputHook;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;
import java.util.Map;

/**
 * An adapter whose whole state is one soft prompt {@code prompt_embeddings [n, hidden]} (fp32),
 * prepended to the token embeddings of every sequence as PEFT's {@code PeftModelForCausalLM}
 * does. The runtime prefixes the attention mask with ones and the labels with -100.
 */
public abstract class SoftPromptAdapter implements Adapter {
    /** The tensor key in {@code adapter_model.safetensors}. */
    public static final String STATE_KEY = "prompt_embeddings";

    private final String name;
    private final String promptKey;
    private final int numVirtualTokens;
    private final int hidden;

    SoftPromptAdapter(String name, String promptKey, int numVirtualTokens, int hidden) {
        this.name = name;
        this.promptKey = promptKey;
        this.numVirtualTokens = numVirtualTokens;
        this.hidden = hidden;
    }

    @Override
    public final String name() {
        return name;
    }

    /** The parameter-store key of the prompt embeddings. */
    public final String promptKey() {
        return promptKey;
    }

    public final int numVirtualTokens() {
        return numVirtualTokens;
    }

    @Override
    public final Map<String, String> stateKeys() {
        return Map.of(STATE_KEY, promptKey);
    }

    @Override
    public final Map<String, long[]> stateShapes() {
        return Map.of(STATE_KEY, new long[] {numVirtualTokens, hidden});
    }

    /**
     * Adds the soft-prompt hook. In a mixed-adapter batch ({@code perRow}) it is added as well;
     * {@link ai.peft4j.api.peft.PeftModel} refuses such batches, as rows would need different
     * prefix lengths.
     */
    @Override
    public final void addHooks(HookSet.Builder hooks, boolean perRow) {
        hooks.input(new Prepend(promptKey, numVirtualTokens));
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + numVirtualTokens + " virtual tokens]";
    }

    /** Prepends the prompt; symbolic-safe (no tensor values are read). */
    private record Prepend(String key, int length) implements InputHook {
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
