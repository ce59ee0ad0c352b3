package ai.peft4j.api.ops;

/**
 * How an attention layer applies rotary position embeddings.
 *
 * <p>The inverse frequencies are computed in Java from the config (including any rope scaling),
 * so engines only multiply positions by them.
 *
 * <pre>{@code
 * RotarySpec spec = RotarySpec.standard(headDim, headDim, 10000.0, false);
 * Tensor q = ops.rotary(ops.splitHeads(qFlat, heads), spec);
 * }</pre>
 *
 * @param rotaryDim the leading dimensions of each head that rotate; the rest pass through
 * @param interleaved true for GPT-J's rotate-every-two layout, false for rotate-half (Llama, NeoX)
 * @param invFreq {@code rotaryDim / 2} inverse frequencies
 * @param attentionScaling a factor applied to cos and sin (1 unless a rope scaling says otherwise)
 */
public record RotarySpec(int rotaryDim, boolean interleaved, float[] invFreq, float attentionScaling) {

    /** The textbook inverse frequencies {@code 1 / theta^(2i / rotaryDim)}. */
    public static RotarySpec standard(int rotaryDim, double theta, boolean interleaved) {
        float[] inv = new float[rotaryDim / 2];
        for (int i = 0; i < inv.length; i++) {
            // Computed in float like PyTorch: arange(0, dim, 2).float() / dim, then base ** that.
            float exponent = (float) (2 * i) / (float) rotaryDim;
            inv[i] = (float) (1.0 / Math.pow(theta, exponent));
        }
        return new RotarySpec(rotaryDim, interleaved, inv, 1.0f);
    }

    /** Equal by value, inverse frequencies included, so engines can cache tables per spec across blocks. */
    @Override
    public boolean equals(Object o) {
        return o instanceof RotarySpec r && rotaryDim == r.rotaryDim && interleaved == r.interleaved
                && Float.compare(attentionScaling, r.attentionScaling) == 0 && java.util.Arrays.equals(invFreq, r.invFreq);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hash(rotaryDim, interleaved, attentionScaling) + java.util.Arrays.hashCode(invFreq);
    }
}
