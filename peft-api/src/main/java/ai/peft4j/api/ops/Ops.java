package ai.peft4j.api.ops;

/**
 * The small tensor-op interface every architecture and every PEFT method is written against.
 *
 * <p>An eager engine (PyTorch) computes each call immediately and can record gradients; a
 * symbolic engine (ONNX) turns each call into graph nodes. To keep both possible, callers never
 * read values, never branch on data and never hard-code batch or sequence sizes: shapes follow
 * from the ops (for example {@link #splitHeads}). Per-forward state such as positions, the
 * attention mask and the KV cache lives in the implementation, so {@link #rotary} and
 * {@link #attention} need no extra inputs.
 *
 * <p>Layouts: activations are {@code [batch, seq, features]}; heads are
 * {@code [batch, heads, seq, headDim]}; linear weights are Hugging Face's {@code [out, in]}.
 *
 * <pre>{@code
 * Tensor h = ops.embedding(ops.param("model.embed_tokens.weight"), ops.inputIds());
 * Tensor q = ops.linear(h, ops.param("model.layers.0.self_attn.q_proj.weight"), null);
 * }</pre>
 */
public interface Ops {

    // ---- inputs and parameters ------------------------------------------------------------

    /** The token ids of this forward, {@code [batch, seq]} (int64). */
    Tensor inputIds();

    /** The position of each input token, {@code [batch, seq]} (int64), derived by the runtime. */
    Tensor positionIds();

    /** A named parameter: a base weight by its checkpoint key or an adapter parameter. */
    Tensor param(String key);

    /** Whether {@link #param} can resolve the key. */
    boolean hasParam(String key);

    /** True while training: dropout is active and gradients are recorded. */
    boolean training();

    // ---- element-wise -----------------------------------------------------------------------

    Tensor add(Tensor a, Tensor b);

    Tensor sub(Tensor a, Tensor b);

    Tensor mul(Tensor a, Tensor b);

    Tensor scale(Tensor a, double factor);

    Tensor activation(Tensor x, Activation activation);

    /** Inverted dropout with probability {@code p}; the identity when not training or p == 0. */
    Tensor dropout(Tensor x, double p);

    // ---- layers -----------------------------------------------------------------------------

    /** Rows of {@code table [vocab, hidden]} for {@code ids [batch, seq]}. */
    Tensor embedding(Tensor table, Tensor ids);

    /** {@code x · weightᵀ + bias} with {@code weight [out, in]}; bias may be null. */
    Tensor linear(Tensor x, Tensor weight, Tensor bias);

    /** {@code x · weight + bias} with {@code weight [in, out]} (GPT-2 Conv1D); bias may be null. */
    Tensor matmulInOut(Tensor x, Tensor weight, Tensor bias);

    Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps);

    Tensor rmsNorm(Tensor x, Tensor gamma, double eps);

    // ---- shape ------------------------------------------------------------------------------

    /** Splits the last axis into consecutive pieces of the given sizes. */
    Tensor[] splitLast(Tensor x, int... sizes);

    /** {@code [b, s, heads*d]} to {@code [b, heads, s, d]}. */
    Tensor splitHeads(Tensor x, int heads);

    /** {@code [b, heads, s, d]} to {@code [b, s, heads*d]}. */
    Tensor mergeHeads(Tensor x);

    /** Concatenates along the sequence axis (axis 1 of {@code [b, s, h]}). */
    Tensor concatSeq(Tensor first, Tensor second);

    /** Repeats a {@code [s, h]} tensor over the batch of {@link #inputIds()}: {@code [b, s, h]}. */
    Tensor broadcastBatch(Tensor x);

    /** Keeps only the last sequence position: {@code [b, s, h]} to {@code [b, 1, h]}. */
    Tensor lastPosition(Tensor x);

    // ---- attention --------------------------------------------------------------------------

    /** Applies rotary embeddings at this forward's positions to {@code [b, heads, s, d]}. */
    Tensor rotary(Tensor x, RotarySpec spec);

    /**
     * Causal scaled-dot-product attention for one layer, with this forward's padding mask and KV
     * cache. Grouped-query attention follows from {@code k} and {@code v} having fewer heads.
     *
     * @param layer the layer index, which selects the cache slot
     * @param q {@code [b, heads, s, d]}
     * @param k {@code [b, kvHeads, s, d]} for the new positions only
     * @param v {@code [b, kvHeads, s, d]} for the new positions only
     * @param scale the factor applied to {@code q·kᵀ}
     * @return {@code [b, heads, s, d]}
     */
    Tensor attention(int layer, Tensor q, Tensor k, Tensor v, double scale);

    /**
     * A per-row selector {@code [b, 1, 1]} that is 1 where the row uses {@code adapterName} and 0
     * elsewhere, or null when every row uses it (so single-adapter batches cost nothing).
     */
    Tensor rowSelector(String adapterName);
}
