package ai.peft4j.api.method;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.model.HookSet;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * One named adapter created by a {@link PeftMethod}: its parameters live in the runtime's
 * {@link ParameterStore}, and it reaches the model through hooks.
 *
 * <pre>{@code
 * Adapter lora = method.create("default", config, context);
 * HookSet.Builder hooks = HookSet.builder();
 * lora.addHooks(hooks, false);
 * }</pre>
 */
public interface Adapter {

    String name();

    PeftConfig config();

    /**
     * Every tensor of the saved adapter, from its PEFT file key (as in
     * {@code adapter_model.safetensors}) to the {@link ParameterStore} key that holds it.
     */
    Map<String, String> stateKeys();

    /** The shape each PEFT file key must have for this base model. */
    Map<String, long[]> stateShapes();

    /**
     * The shape in which the {@link ParameterStore} holds a file key's tensor: the same elements
     * in the same row-major order, laid out for the hooks. {@code PeftModel} reshapes between the
     * two on save and load. The default is the file shape; a method whose file stores a vector as
     * {@code [n, 1]} may hold it as {@code [1, n]} so that it broadcasts over activations
     * {@code [b, s, n]} without a reshape op.
     */
    default long[] storeShape(String fileKey) {
        return stateShapes().get(fileKey);
    }

    /**
     * Adds this adapter's hooks.
     *
     * @param perRow true in a mixed-adapter batch: scale contributions by
     *     {@code ops.rowSelector(name())} so rows using other adapters are untouched
     */
    void addHooks(HookSet.Builder hooks, boolean perRow);

    /**
     * Writes this adapter's saved form into {@code dir} (which exists) and returns true, or returns
     * false to let {@link ai.peft4j.api.peft.PeftModel#saveAdapter} write PEFT's
     * {@code adapter_config.json} + {@code adapter_model.safetensors} (the default). A method whose
     * saved form is not a PEFT adapter overrides it; full fine-tuning writes a whole Hugging Face
     * model directory. The tensors it writes must be keyed as in {@link #stateKeys()}.
     */
    default boolean saveFiles(Path dir, DecoderRuntime runtime) {
        return false;
    }

    /**
     * The file in {@code dir}, a directory {@link #saveFiles} wrote, that holds this adapter's
     * tensors keyed as in {@link #stateKeys()}; empty (the default) when the saved form is PEFT's
     * and the file is {@code adapter_model.safetensors}. A method that overrides
     * {@link #saveFiles} overrides this too, so that
     * {@link ai.peft4j.api.peft.PeftModel#loadAdapterWeights} (and a training resume) reads its
     * form back.
     */
    default Optional<Path> savedWeightsFile(Path dir) {
        return Optional.empty();
    }

    /** Whether {@link #merge} is supported. */
    default boolean canMerge() {
        return false;
    }

    /**
     * Folds the adapter into the base weights, writing each merged tensor with
     * {@link ParameterStore#replaceBase}. The bookkeeping is not the method's:
     * {@link ai.peft4j.api.peft.PeftModel#merge} passes a store that records which tensors each
     * merge replaced, and refuses a second merge of the same adapter.
     *
     * @param safe check the merged weights for NaN/Inf first and leave the base untouched if any
     */
    default void merge(ParameterStore store, boolean safe) {
        throw new Peft4jException(config().peftType() + " adapters cannot be merged");
    }

    /**
     * Reverses {@link #merge}: writes each tensor's inverse with {@link ParameterStore#replaceBase}.
     * Where this adapter was the last merge into a tensor that was the checkpoint's, the store
     * {@link ai.peft4j.api.peft.PeftModel#unmerge} passes restores the checkpoint's values exactly
     * instead, so a method need not track that.
     */
    default void unmerge(ParameterStore store) {
        throw new Peft4jException(config().peftType() + " adapters cannot be merged");
    }
}
