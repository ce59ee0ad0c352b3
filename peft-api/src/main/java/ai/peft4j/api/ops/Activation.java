package ai.peft4j.api.ops;

import ai.peft4j.api.Peft4jException;
import java.util.Locale;

/**
 * Element-wise activations used by the supported decoders, named as in Hugging Face configs.
 *
 * <pre>{@code
 * Activation act = Activation.fromHf("gelu_new"); // GELU_TANH
 * }</pre>
 */
public enum Activation {
    /** GELU with the tanh approximation ({@code gelu_new}, {@code gelu_pytorch_tanh}). */
    GELU_TANH,
    /** Exact GELU with erf ({@code gelu}). */
    GELU,
    /** x * sigmoid(x) ({@code silu}, {@code swish}). */
    SILU,
    /** max(x, 0). */
    RELU;

    /** Maps a Hugging Face activation name to an activation, or fails with the known names. */
    public static Activation fromHf(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "gelu_new":
            case "gelu_pytorch_tanh":
            case "gelu_fast":
                return GELU_TANH;
            case "gelu":
                return GELU;
            case "silu":
            case "swish":
                return SILU;
            case "relu":
                return RELU;
            default:
                throw new Peft4jException(
                        "unsupported activation '" + name + "'; supported: gelu_new, gelu_pytorch_tanh, gelu_fast, gelu, silu, swish, relu");
        }
    }
}
