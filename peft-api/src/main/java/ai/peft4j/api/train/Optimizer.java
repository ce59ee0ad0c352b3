package ai.peft4j.api.train;

import java.util.Map;

/**
 * A host-side optimizer over float32 parameter arrays.
 *
 * <p>Design note: the optimizer runs on the host (Java arrays), not on the engine. PEFT trains
 * few parameters (LoRA on GPT-2 small: 0.3 M), so one pass over them costs microseconds, the state
 * is trivially checkpointed and bit-reproducible, and the same code serves every engine. Full
 * fine-tuning of small models (the embedded demo model) also fits; for large full fine-tuning an
 * engine-side optimizer would be the lever.
 *
 * <pre>{@code
 * Optimizer opt = new AdamW(0.9, 0.999, 1e-8, 0.0);
 * opt.step(Map.of("w", w), Map.of("w", grad), 1e-3);  // w is updated in place
 * }</pre>
 */
public interface Optimizer {

    /** The name stored in checkpoints ({@code adamw}, {@code sgd}). */
    String name();

    /**
     * Applies one update in place. {@code grads} holds the gradient of each parameter in
     * {@code params} (same keys, same lengths).
     */
    void step(Map<String, float[]> params, Map<String, float[]> grads, double learningRate);

    /** The number of updates applied so far. */
    long steps();

    /**
     * The state to checkpoint, keyed {@code <slot>/<parameter key>} (for example
     * {@code exp_avg/adapter.default.lora_A}); arrays are live, not copies.
     */
    Map<String, float[]> state();

    /** Restores {@link #state()} and the step count saved by a checkpoint. */
    void loadState(Map<String, float[]> state, long steps);
}
