package ai.peft4j.api.model;

import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;

/**
 * What an architecture sees during one forward: the engine's {@link Ops} and the active hooks.
 * Architectures call {@link #linear} for every hookable layer, so adapters reach them without the
 * architecture knowing any PEFT method.
 *
 * <pre>{@code
 * Tensor qkv = ctx.linear(site, hidden); // base layer plus every adapter hooked on it
 * }</pre>
 */
public final class ForwardContext {
    private final Ops ops;
    private final HookSet hooks;
    private final boolean applyInputHooks;

    /**
     * @param applyInputHooks whether this forward starts the sequence, so soft prompts are prepended
     */
    public ForwardContext(Ops ops, HookSet hooks, boolean applyInputHooks) {
        this.ops = ops;
        this.hooks = hooks;
        this.applyInputHooks = applyInputHooks;
    }

    public Ops ops() {
        return ops;
    }

    public HookSet hooks() {
        return hooks;
    }

    /**
     * The same forward seen through other ops: an engine that runs a segment in a memory scope of
     * its own (see {@link ai.peft4j.api.engine.DecoderForward.Segments}) hands it this.
     */
    public ForwardContext withOps(Ops scopedOps) {
        return new ForwardContext(scopedOps, hooks, applyInputHooks);
    }

    /** Runs a hookable linear layer: input hooks, the base weight, then output hooks. */
    public Tensor linear(LinearSite site, Tensor x) {
        var siteHooks = hooks.linearHooks(site.module());
        Tensor in = x;
        for (LinearHook h : siteHooks) {
            in = h.beforeLinear(this, site, in);
        }
        Tensor w = ops.param(site.weightKey());
        Tensor b = site.biasKey() == null ? null : ops.param(site.biasKey());
        Tensor y = site.inOutLayout() ? ops.matmulInOut(in, w, b) : ops.linear(in, w, b);
        for (LinearHook h : siteHooks) {
            y = h.afterLinear(this, site, x, y);
        }
        return y;
    }

    /** Applies the input hooks (soft prompts) when this forward starts the sequence. */
    public Tensor applyInputHooks(Tensor embeddings) {
        if (!applyInputHooks) {
            return embeddings;
        }
        Tensor e = embeddings;
        for (InputHook h : hooks.inputHooks()) {
            e = h.apply(this, e);
        }
        return e;
    }
}
