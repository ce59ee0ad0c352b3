package ai.peft4j.api.model;

import ai.peft4j.api.ops.Tensor;

/**
 * A PEFT method's hook on one {@link LinearSite}: it may change the layer's input, its output,
 * or both. Written against {@link ai.peft4j.api.ops.Ops}, so it runs on every engine.
 *
 * <pre>{@code
 * LinearHook lora = new LinearHook() {
 *   public Tensor afterLinear(ForwardContext ctx, LinearSite site, Tensor x, Tensor y) {
 *     var ops = ctx.ops();
 *     return ops.add(y, ops.scale(ops.linear(ops.linear(x, ops.param(a), null), ops.param(b), null), s));
 *   }
 * };
 * }</pre>
 */
public interface LinearHook {

    /** Transforms the input before the base layer runs; the identity by default. */
    default Tensor beforeLinear(ForwardContext ctx, LinearSite site, Tensor input) {
        return input;
    }

    /**
     * Transforms the base layer's output.
     *
     * @param input the layer input as given to the site (before {@link #beforeLinear})
     * @param output the base output (after every earlier hook)
     */
    default Tensor afterLinear(ForwardContext ctx, LinearSite site, Tensor input, Tensor output) {
        return output;
    }
}
