package ai.peft4j.api.model;

import ai.peft4j.api.ops.Tensor;

/**
 * A PEFT method's hook on the input embeddings, used by soft-prompt methods. It may prepend
 * {@link #prefixLength()} positions; the runtime then extends the attention mask with ones and
 * the positions accordingly, and applies the hook only on a forward that starts the sequence
 * (so generation computes the virtual tokens once into the KV cache).
 *
 * <pre>{@code
 * InputHook prompt = new InputHook() {
 *   public int prefixLength() { return 5; }
 *   public Tensor apply(ForwardContext ctx, Tensor embeds) {
 *     var ops = ctx.ops();
 *     return ops.concatSeq(ops.broadcastBatch(ops.param("prompt")), embeds);
 *   }
 * };
 * }</pre>
 */
public interface InputHook {

    /** How many positions {@link #apply} prepends. */
    int prefixLength();

    /** Transforms {@code [b, s, h]} token embeddings into {@code [b, prefix + s, h]}. */
    Tensor apply(ForwardContext ctx, Tensor embeddings);
}
