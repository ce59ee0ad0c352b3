package ai.peft4j.api.engine;

/**
 * What an {@link Engine} can do.
 *
 * <pre>{@code
 * if (engine.capabilities().contains(Capability.TRAIN)) { ... }
 * }</pre>
 */
public enum Capability {
    /** Computes gradients, so the trainer can use it. */
    TRAIN,
    /** Runs forwards and generation. */
    INFER
}
