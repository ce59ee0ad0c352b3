package ai.peft4j.api.engine;

import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;
import java.util.function.Function;

/**
 * The forward sequence of a decoder, written once for every engine: the embedding segment
 * (token embeddings, then the input hooks that prepend soft prompts, then what precedes block 0),
 * every block in order, the final norm, then optionally only the last position, then the LM head.
 * An eager engine runs it; a symbolic engine traces it into a graph.
 *
 * <p>What differs between engines is how a segment runs, not which segments run: an engine passes
 * a {@link Segments} hook (the PyTorch engine runs each block in a memory scope of its own and
 * reseeds dropout per segment; the ONNX engine traces them as they come, {@link Segments#DIRECT}).
 * Engines that take the sequence apart (activation checkpointing keeps {@link #blockInputs} and
 * recomputes one {@link #blockStage} at a time; a chunked LM head runs {@link #head} per chunk)
 * still call these pieces, so the order lives here only.
 *
 * <pre>{@code
 * DecoderForward forward = new DecoderForward(rt.architecture(), rt.config());  // or with Segments
 * ForwardContext ctx = DecoderForward.context(ops, request);
 * Tensor logits = forward.logits(ctx, request.lastPositionOnly());
 * // equivalently: forward.head(ctx, forward.body(ctx), request.lastPositionOnly())
 * }</pre>
 */
public final class DecoderForward {
    /** The segment index of the embedding segment in {@link Segments#run}; blocks are 0, 1, .... */
    public static final int EMBEDDING = -1;

    /**
     * How an engine runs one segment of a forward.
     *
     * <pre>{@code
     * Segments scoped = (ctx, segment, stage) -> {
     *   try (Scope s = openScope()) {
     *     return keep(stage.apply(ctx.withOps(scopedOps(ctx, s))));  // the output outlives the scope
     *   }
     * };
     * }</pre>
     */
    @FunctionalInterface
    public interface Segments {
        /** Runs every segment in the forward's own context. */
        Segments DIRECT = (ctx, segment, stage) -> stage.apply(ctx);

        /**
         * Runs {@code segment} ({@link #EMBEDDING} or a block index): {@code stage.apply(c)}
         * computes it in context {@code c} ({@code ctx} or a scoped {@link ForwardContext#withOps
         * view} of it). The result must stay valid as long as results made in {@code ctx} do.
         */
        Tensor run(ForwardContext ctx, int segment, Function<ForwardContext, Tensor> stage);
    }

    private final Architecture architecture;
    private final DecoderConfig config;
    private final Segments segments;

    /** The sequence with every segment run directly in the forward's context. */
    public DecoderForward(Architecture architecture, DecoderConfig config) {
        this(architecture, config, Segments.DIRECT);
    }

    public DecoderForward(Architecture architecture, DecoderConfig config, Segments segments) {
        this.architecture = architecture;
        this.config = config;
        this.segments = segments;
    }

    /** The context of a forward of {@code request} over {@code ops}: its hooks, and whether soft prompts apply. */
    public static ForwardContext context(Ops ops, ForwardRequest request) {
        return new ForwardContext(ops, request.hooks(), request.startsSequence());
    }

    /** The embedding segment computed in {@code ctx} itself: embeddings, input hooks, then what precedes block 0. */
    public Tensor embeddingStage(ForwardContext ctx) {
        return architecture.beforeBlocks(ctx, config, ctx.applyInputHooks(architecture.embed(ctx, config)));
    }

    /** Block {@code layer} computed in {@code ctx} itself (an engine recomputing it for a backward). */
    public Tensor blockStage(ForwardContext ctx, int layer, Tensor x) {
        return architecture.block(ctx, config, layer, x);
    }

    /** The embedding segment, run through the engine's {@link Segments}. */
    public Tensor embedding(ForwardContext ctx) {
        return segments.run(ctx, EMBEDDING, this::embeddingStage);
    }

    /** Block {@code layer}, run through the engine's {@link Segments}. */
    public Tensor block(ForwardContext ctx, int layer, Tensor x) {
        return segments.run(ctx, layer, c -> blockStage(c, layer, x));
    }

    /**
     * The input of every block and, last, the output of the last block ({@code layers + 1}
     * tensors): what activation checkpointing keeps to recompute each block later.
     */
    public Tensor[] blockInputs(ForwardContext ctx) {
        return blockInputs(ctx, config.numLayers());
    }

    /**
     * The input of each of the first {@code blocks} blocks and, last, the output of block
     * {@code blocks - 1} ({@code blocks + 1} tensors): what checkpointing only those blocks keeps;
     * the rest of the body continues from the last one with {@link #block}.
     */
    public Tensor[] blockInputs(ForwardContext ctx, int blocks) {
        if (blocks < 0 || blocks > config.numLayers()) {
            throw new IllegalArgumentException("blocks " + blocks + " outside 0.." + config.numLayers());
        }
        Tensor[] inputs = new Tensor[blocks + 1];
        inputs[0] = embedding(ctx);
        for (int i = 0; i < blocks; i++) {
            inputs[i + 1] = block(ctx, i, inputs[i]);
        }
        return inputs;
    }

    /** The norm after the last block. */
    public Tensor finalNorm(ForwardContext ctx, Tensor lastBlockOutput) {
        return architecture.finalNorm(ctx, config, lastBlockOutput);
    }

    /** The decoder body: embedding segment, every block, final norm; the hidden states the LM head reads. */
    public Tensor body(ForwardContext ctx) {
        Tensor x = embedding(ctx);
        for (int i = 0; i < config.numLayers(); i++) {
            x = block(ctx, i, x);
        }
        return finalNorm(ctx, x);
    }

    /** Vocabulary logits of {@code hidden}, of its last position only when {@code lastPositionOnly} (decoding). */
    public Tensor head(ForwardContext ctx, Tensor hidden, boolean lastPositionOnly) {
        Tensor h = lastPositionOnly ? ctx.ops().lastPosition(hidden) : hidden;
        return architecture.lmHead(ctx, config, h);
    }

    /** The whole forward: {@link #head} of {@link #body}. */
    public Tensor logits(ForwardContext ctx, boolean lastPositionOnly) {
        return head(ctx, body(ctx), lastPositionOnly);
    }
}
