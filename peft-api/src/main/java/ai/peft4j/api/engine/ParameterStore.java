package ai.peft4j.api.engine;

import ai.peft4j.api.io.HostTensor;
import java.util.Set;

/**
 * The parameters an engine runtime holds beside the frozen base: adapter tensors (by key) and
 * base weights replaced by a merge. Methods read and write them through host copies, so the same
 * adapter code works on every engine.
 *
 * <pre>{@code
 * store.put("lora.default.transformer.h.0.attn.c_attn.A", HostTensor.zeros(4, 64), true);
 * HostTensor a = store.get("lora.default.transformer.h.0.attn.c_attn.A");
 * }</pre>
 */
public interface ParameterStore {

    /** Adds or replaces an adapter parameter. */
    void put(String key, HostTensor value, boolean trainable);

    /**
     * Overwrites the values of an existing trainable parameter (an adapter parameter or a base
     * weight made trainable), keeping its trainable flag; used by optimizers.
     */
    void update(String key, HostTensor value);

    /** A host copy of an adapter parameter or a base weight. */
    HostTensor get(String key);

    /** Whether the key names an adapter parameter or a base weight. */
    boolean contains(String key);

    /** Removes an adapter parameter (no-op if absent). */
    void remove(String key);

    /** The keys of every adapter parameter. */
    Set<String> adapterKeys();

    /** The keys of the adapter parameters that train. */
    Set<String> trainableKeys();

    /** Marks an adapter parameter (or, for full fine-tuning, a base weight) as trainable or frozen. */
    void setTrainable(String key, boolean trainable);

    /** Replaces a base weight's values (merging); shape must match. */
    void replaceBase(String key, HostTensor value);

    /** Restores a base weight to the checkpoint's values. */
    void restoreBase(String key);

    /** Whether a base weight currently differs from the checkpoint because of {@link #replaceBase}. */
    boolean isBaseReplaced(String key);
}
