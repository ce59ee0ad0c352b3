package ai.peft4j.api.arch;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.RotarySpec;
import com.google.gson.JsonObject;
import java.util.Map;

/** Small helpers shared by the architectures (not public API). */
final class DecoderBlocks {
    private DecoderBlocks() {}

    static LinearSite site(String module, boolean bias, int in, int out, boolean inOut, int layer) {
        return new LinearSite(module, module + ".weight", bias ? module + ".bias" : null, in, out, inOut, layer);
    }

    static void put(Map<String, long[]> shapes, LinearSite s) {
        shapes.put(s.weightKey(), s.weightShape());
        if (s.biasKey() != null) {
            shapes.put(s.biasKey(), new long[] {s.outFeatures()});
        }
    }

    /** Rotary frequencies with the rope scalings Llama-family checkpoints use. */
    static RotarySpec rotary(DecoderConfig cfg, int rotaryDim, boolean interleaved) {
        RotarySpec base = RotarySpec.standard(rotaryDim, cfg.ropeTheta(), interleaved);
        JsonObject scaling = cfg.ropeScaling();
        if (scaling == null) {
            return base;
        }
        String type = scaling.has("rope_type") ? scaling.get("rope_type").getAsString()
                : scaling.has("type") ? scaling.get("type").getAsString() : "default";
        float[] inv = base.invFreq().clone();
        switch (type) {
            case "default":
                return base;
            case "linear": {
                float factor = scaling.get("factor").getAsFloat();
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= factor;
                }
                return new RotarySpec(rotaryDim, interleaved, inv, 1f);
            }
            case "llama3": {
                double factor = scaling.get("factor").getAsDouble();
                double low = scaling.get("low_freq_factor").getAsDouble();
                double high = scaling.get("high_freq_factor").getAsDouble();
                double oldCtx = scaling.get("original_max_position_embeddings").getAsDouble();
                double lowWavelen = oldCtx / low;
                double highWavelen = oldCtx / high;
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowWavelen) {
                        inv[i] = (float) (inv[i] / factor);
                    } else if (wavelen >= highWavelen) {
                        double smooth = (oldCtx / wavelen - low) / (high - low);
                        inv[i] = (float) ((1 - smooth) * inv[i] / factor + smooth * inv[i]);
                    }
                }
                return new RotarySpec(rotaryDim, interleaved, inv, 1f);
            }
            default:
                throw new Peft4jException("unsupported rope scaling type '" + type + "'; supported: default, linear, llama3");
        }
    }
}
