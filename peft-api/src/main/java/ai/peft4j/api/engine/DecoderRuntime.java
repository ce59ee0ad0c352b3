package ai.peft4j.api.engine;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.HookSet;

/**
 * A decoder loaded on an engine: frozen base weights plus a {@link ParameterStore} for adapters.
 * Methods hook it through a {@link HookSet}; the generator drives it through {@link #forward}.
 *
 * <pre>{@code
 * try (DecoderRuntime rt = Engines.byName("pytorch").load(ckpt, EngineOptions.defaults());
 *      KvCache cache = rt.newCache()) {
 *   Logits logits = rt.forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, true), cache);
 * }
 * }</pre>
 */
public interface DecoderRuntime extends AutoCloseable {

    Engine engine();

    Checkpoint checkpoint();

    default DecoderConfig config() {
        return checkpoint().config();
    }

    default Architecture architecture() {
        return checkpoint().architecture();
    }

    /** The device in use ({@code cpu}, {@code gpu:0}). */
    String device();

    ParameterStore parameters();

    /** A fresh, empty cache for incremental decoding. */
    KvCache newCache();

    /**
     * Runs a forward. With a cache, the cache's positions are prepended to the attention and the
     * new keys and values are appended; without one, the request must start the sequence.
     */
    Logits forward(ForwardRequest request, KvCache cache);

    /**
     * Summed causal-LM loss over labels != -100, and, when {@code withGradients}, the gradients of
     * every trainable parameter. Engines without {@link Capability#TRAIN} compute the loss only.
     */
    default LossResult lossAndGradients(TrainBatch batch, HookSet hooks, boolean withGradients) {
        if (withGradients) {
            Engines.requireCapability(engine(), Capability.TRAIN);
        }
        Logits logits = forward(ForwardRequest.start(batch.inputIds(), batch.attentionMask(), hooks, null, false), null);
        int prefix = hooks == null ? 0 : hooks.prefixLength();
        return new LossResult(CrossEntropy.sum(logits, batch.labels(), prefix), batch.targetCount(prefix), java.util.Map.of());
    }

    /**
     * Seeds the engine's random source (dropout masks) for subsequent forwards, so training is
     * reproducible; the trainer reseeds before every micro-batch. Engines without randomness
     * ignore it (the default).
     */
    default void setSeed(long seed) {}

    /** Sets the training flag (dropout on) for subsequent forwards. */
    default void setTraining(boolean training) {
        if (training) {
            throw new Peft4jException("engine '" + engine().name() + "' does not train");
        }
    }

    @Override
    void close();
}
