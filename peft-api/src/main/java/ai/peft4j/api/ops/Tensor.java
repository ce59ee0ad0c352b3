package ai.peft4j.api.ops;

/**
 * An opaque handle to a value produced by an {@link Ops} implementation.
 *
 * <p>An eager engine backs it with a real array; a symbolic engine backs it with a graph value
 * name. Architecture and adapter code therefore never reads a tensor's contents or shape: it
 * only passes handles back to {@link Ops}.
 *
 * <pre>{@code
 * Tensor h = ops.layerNorm(x, ops.param("ln.weight"), ops.param("ln.bias"), 1e-5);
 * }</pre>
 */
public interface Tensor {}
