package ai.peft4j.engine.onnx;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import java.util.Locale;

/**
 * How the onnx engine multiplies activations by quantized (int8 / int4) base weights: ONNX
 * Runtime's {@code MatMulNBits} always reads the codes as stored; this picks its
 * {@code accuracy_level}, chosen per runtime by the engine property {@value #PROPERTY}
 * ({@link EngineOptions#withEngineProperty}; settings key {@code onnx.quantized_matmul}, system
 * property {@code peft4j.onnx.quantized_matmul}, CLI {@code --engine-option}).
 *
 * <ul>
 *   <li>{@link #INT8} (default): activations are quantized to int8 per block and the products
 *       summed in integers ({@code accuracy_level 4}), MLAS's fast path. On the 2-core AVX2
 *       machines here a GPT-2-sized int4 matmul at batch 1 ran about 3-4x faster than the
 *       float32 {@code Gemm}; int8 weights about 1.2-1.4x. The rounding of activations adds about
 *       0.5% of a layer's output magnitude, so logits differ from the PyTorch engine's (which
 *       dequantizes and multiplies in float32) by more than summation order.
 *   <li>{@link #FLOAT32}: the same products as the PyTorch engine, in float32
 *       ({@code accuracy_level 0}); the engines then agree to about 1e-6 of the largest logit.
 *       Slower: int4 about as fast as float32 weights, and int8 far slower (ONNX Runtime 1.23 has
 *       no float32 8-bit kernel on x86 and dequantizes the whole weight on every run).
 * </ul>
 *
 * <pre>{@code
 * DecoderRuntime rt = new OnnxEngine().load(ckpt, new EngineOptions("cpu", 2).withQuantization(Quantization.INT4, 32)
 *         .withEngineProperty(QuantizedMatmul.PROPERTY, "float32"));
 * }</pre>
 */
public enum QuantizedMatmul {
    INT8("int8", 4),
    FLOAT32("float32", 0);

    /** The engine property that selects the mode: {@code int8} or {@code float32}. */
    public static final String PROPERTY = "onnx.quantized_matmul";

    private final String id;
    private final long accuracyLevel;

    QuantizedMatmul(String id, long accuracyLevel) {
        this.id = id;
        this.accuracyLevel = accuracyLevel;
    }

    public String id() {
        return id;
    }

    /** {@code MatMulNBits}' {@code accuracy_level} attribute. */
    long accuracyLevel() {
        return accuracyLevel;
    }

    /** The mode {@code options} name; unset is {@link #INT8}. Unknown names fail listing the known ones. */
    public static QuantizedMatmul of(EngineOptions options) {
        String v = options.engineProperties().get(PROPERTY);
        if (v == null || v.isBlank()) {
            return INT8;
        }
        String n = v.trim().toLowerCase(Locale.ROOT);
        for (QuantizedMatmul m : values()) {
            if (m.id.equals(n)) {
                return m;
            }
        }
        throw new Peft4jException("unknown " + PROPERTY + " '" + v + "'; known: int8 (default), float32");
    }
}
