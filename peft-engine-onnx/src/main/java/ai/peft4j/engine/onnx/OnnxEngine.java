package ai.peft4j.engine.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.Capability;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.serving.SharedGraphEngine;
import ai.peft4j.api.serving.SharedGraphServing;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code onnx} engine plugin: inference on ONNX Runtime (CPU). Architectures and adapters are
 * traced through the op interface into ONNX graphs, so it runs every model and method the
 * PyTorch engine runs, without model-specific code; it does not train. Quantized bases
 * ({@code withQuantization}) run ONNX Runtime's own {@code MatMulNBits} kernels on the int8/int4
 * codes; {@code weightDtype float16} holds the weights in float16 and widens them per use. As a
 * {@link SharedGraphEngine} it serves many adapters from one session, chosen per request
 * ({@link OnnxSharedGraphServing}, reached through {@link ai.peft4j.api.serving.AdapterServing#of}).
 *
 * <pre>{@code
 * Engine onnx = Engines.byName("onnx");
 * try (Checkpoint ckpt = Checkpoint.open(dir); DecoderRuntime rt = onnx.load(ckpt, new EngineOptions("cpu", 2))) {
 *   Logits logits = rt.forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, true), null);
 * }
 * DecoderRuntime int4 = onnx.load(ckpt, new EngineOptions("cpu", 2).withQuantization(Quantization.INT4, 32));
 * }</pre>
 */
public final class OnnxEngine implements Engine, SharedGraphEngine {
    static final String NAME = "onnx";

    /**
     * Its engine properties ({@code onnx.<name>}): {@code quantized_matmul} ({@link QuantizedMatmul}),
     * and for diagnostics {@code profile} (a file prefix for ONNX Runtime's per-node profile),
     * {@code optimized_model} (a file for the graph as ONNX Runtime optimized it),
     * {@code session_config} ({@code key=value;key=value} session config entries) and
     * {@code int8_block_size} (a fixed int8 block size; 0 picks one per weight).
     */
    static final Set<String> OPTIONS = Set.of("quantized_matmul", "profile", "optimized_model", "session_config", "int8_block_size");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<String> optionNames() {
        return OPTIONS;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.INFER);
    }

    @Override
    public List<String> devices() {
        return List.of("cpu");
    }

    static OrtEnvironment environment() {
        try {
            return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "peft4j");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new Peft4jException("the ONNX Runtime native library could not be loaded: " + e.getMessage(), e);
        }
    }

    @Override
    public DecoderRuntime load(Checkpoint checkpoint, EngineOptions options) {
        EngineOptions o = options == null ? EngineOptions.defaults() : options;
        String device = o.device() == null ? "auto" : o.device().toLowerCase(Locale.ROOT).trim();
        if (!device.equals("auto") && !device.equals("cpu")) {
            throw new Peft4jException("device '" + o.device() + "' requested but the onnx engine runs on cpu only; "
                    + "use --device cpu, or the pytorch engine for GPUs");
        }
        if (o.threads() < 0) {
            throw new Peft4jException("threads must be 0 (engine default) or positive, got " + o.threads());
        }
        return new OnnxDecoderRuntime(this, checkpoint, environment(), o);
    }

    @Override
    public SharedGraphServing serveAdapters(DecoderRuntime runtime, HookSet template, Map<String, HostTensor> noOpParameters,
            int maxDynamicDim) {
        if (!(runtime instanceof OnnxDecoderRuntime rt)) {
            throw new Peft4jException("the onnx engine serves adapters on its own runtimes, got " + runtime.getClass().getName());
        }
        return rt.sharedGraphServing(template, noOpParameters, maxDynamicDim);
    }
}
