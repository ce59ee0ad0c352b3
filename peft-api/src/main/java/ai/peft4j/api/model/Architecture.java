package ai.peft4j.api.model;

import ai.peft4j.api.ops.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A decoder family written once against {@link ai.peft4j.api.ops.Ops}. Implementations are found
 * with {@link java.util.ServiceLoader} (see {@link Architectures}), so a new family is a new jar.
 *
 * <p>An architecture supplies the stages of a forward ({@link #embed}, {@link #beforeBlocks},
 * each {@link #block}, {@link #finalNorm}, {@link #lmHead}); their order, with the input hooks
 * (soft prompts) between the embedding and the body, lives once in
 * {@link ai.peft4j.api.engine.DecoderForward}, which every engine drives.
 *
 * <pre>{@code
 * Architecture arch = Architectures.forConfig(cfg);
 * Tensor logits = new DecoderForward(arch, cfg).logits(ctx, false);
 * }</pre>
 */
public interface Architecture {

    /** The {@code model_type} values this architecture serves. */
    Set<String> modelTypes();

    /** Checks that this implementation supports the config's switches; fails with a clear message. */
    default void validate(DecoderConfig config) {}

    /** Every base weight the checkpoint must hold, with its shape. */
    Map<String, long[]> weightShapes(DecoderConfig config);

    /** Layer {@code layer}'s hookable linear layers, in forward order. */
    List<LinearSite> layerSites(DecoderConfig config, int layer);

    /** Every hookable linear layer except the output head, in forward order: every layer's {@link #layerSites}. */
    default List<LinearSite> linearSites(DecoderConfig config) {
        List<LinearSite> sites = new java.util.ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            sites.addAll(layerSites(config, i));
        }
        return sites;
    }

    /** The key of the input word-embedding table {@code [vocab, hidden]}. */
    String embeddingKey(DecoderConfig config);

    /** Token embeddings {@code [b, s, hidden]} of {@code ops.inputIds()}: a lookup in {@link #embeddingKey}'s table. */
    default Tensor embed(ForwardContext ctx, DecoderConfig config) {
        return ctx.ops().embedding(ctx.ops().param(embeddingKey(config)), ctx.ops().inputIds());
    }

    /**
     * What runs between the (hooked) input embeddings and block 0: learned positions, for example.
     * Engines drive this, every {@link #block} and {@link #finalNorm} one by one (to scope memory
     * per block, or recompute blocks for activation checkpointing), through
     * {@link ai.peft4j.api.engine.DecoderForward}.
     */
    default Tensor beforeBlocks(ForwardContext ctx, DecoderConfig config, Tensor inputEmbeddings) {
        return inputEmbeddings;
    }

    /**
     * Decoder block {@code layer}: {@code [b, s, hidden]} in and out. A block reads only its own
     * weights, its input and the forward's state (positions, mask, its cache slot), so an engine
     * may run it again on the same input and get the same output (activation checkpointing).
     */
    Tensor block(ForwardContext ctx, DecoderConfig config, int layer, Tensor x);

    /** The norm after the last block. */
    Tensor finalNorm(ForwardContext ctx, DecoderConfig config, Tensor x);

    /** Vocabulary logits {@code [b, s, vocab]} from final hidden states. */
    Tensor lmHead(ForwardContext ctx, DecoderConfig config, Tensor hidden);
}
