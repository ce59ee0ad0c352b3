package ai.peft4j.api.serving;

import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.HookSet;
import java.util.Map;

/**
 * Implemented by an {@link ai.peft4j.api.engine.Engine} whose runtimes can serve many adapters of
 * one structure from one compiled graph, the adapter chosen per request (ONNX Runtime's per-run
 * adapters). {@link AdapterServing#of} finds it from a model's runtime; engines that do not
 * implement it are refused with the names of the installed ones that do.
 *
 * <pre>{@code
 * if (runtime.engine() instanceof SharedGraphEngine e) {
 *   try (SharedGraphServing s = e.serveAdapters(runtime, templateHooks, noOpDefaults, 64)) { ... }
 * }
 * }</pre>
 */
public interface SharedGraphEngine {

    /**
     * Traces {@code template} once into a graph where every parameter in {@code noOpParameters}
     * is an input adapters may set, with that value as its default.
     *
     * @param runtime a runtime this engine loaded
     * @param template the hooks of one adapter slot
     * @param noOpParameters a value per overridable parameter that makes the hooks a no-op (so no
     *     adapter means the base model); a zero-size dimension is dynamic (a LoRA rank)
     * @param maxDynamicDim the largest dynamic dimension an adapter may bring, or 0 for no limit
     */
    SharedGraphServing serveAdapters(DecoderRuntime runtime, HookSet template, Map<String, HostTensor> noOpParameters,
            int maxDynamicDim);
}
