package ai.peft4j.api.method;

import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import java.util.Map;

/**
 * An adapter whose hooks can compute every adapter of its structure when their parameters are
 * fed in as graph inputs, so one compiled graph serves many adapters switched per request (ONNX
 * Runtime's per-run adapters). This adapter is the template: its {@link ParameterStore} keys
 * name the inputs. {@link ai.peft4j.api.serving.AdapterServing} uses the interface without
 * knowing the method, and engines see only the hooks and parameters it yields.
 *
 * <pre>{@code
 * SharedGraphAdapter template = (SharedGraphAdapter) model.adapter("first");
 * Map<String, HostTensor> inputs = template.noOpParameters();        // defaults: the base model
 * Map<String, HostTensor> other = template.parametersOf(model.adapter("second"), store);
 * }</pre>
 */
public interface SharedGraphAdapter extends Adapter {

    /**
     * Per store key of this adapter, a value that makes its hooks a no-op. A zero-size dimension
     * may differ between adapters (a LoRA rank); other dimensions are fixed.
     */
    Map<String, HostTensor> noOpParameters();

    /**
     * {@code adapter}'s parameters under this template's store keys, with every constant this
     * template's hooks bake in (a LoRA scale) folded into the values, so this template's graph
     * computes {@code adapter}. Keys left out keep their {@link #noOpParameters() no-op} value.
     *
     * @throws ai.peft4j.api.Peft4jException when {@code adapter} does not fit this structure
     */
    Map<String, HostTensor> parametersOf(Adapter adapter, ParameterStore store);
}
